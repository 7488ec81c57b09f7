/* shm/: the door. Guest RAM and control-region objects, the control-region layout,
 * the message catalogue, rings, doorbells and mailboxes. */
#ifndef PERCORE_SHM_H
#define PERCORE_SHM_H

#include "shm/ctrl.h"
#include "shm/doorbell.h"
#include "shm/mbox.h"
#include "shm/msg.h"
#include "shm/region.h"
#include "shm/ring.h"
#include "shm/stw.h"

#endif
