/* The guest runtime: include this one header. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>
#include "arm.h"
#include "exc.h"
#include "excl.h"
#include "gic.h"
#include "lib.h"
#include "mmu.h"
#include "psci.h"
#include "smp.h"
#include "timer.h"
#include "uart.h"

#endif
