/*
 * Entry point and exception vectors of the guest runtime (ARM state only).
 *
 * Entered at _start as a bare ELF is on the virt board: MMU off, privileged (SVC),
 * interrupts masked. Sets one stack per mode, points VBAR at our vector table (cpu_setup,
 * which the secondary CPUs' entry in smp_entry.S shares), zeroes .bss and calls
 * guest_start() (exc.c), which runs main() and powers the machine off.
 *
 * Every exception vector builds the same frame on the stack of the mode it is taken to,
 * hands it to exc_dispatch(frame, kind) and returns from it through the frame, so a hook
 * can change r0-r12, the return address and the CPSR to return with:
 *
 *     sp + 0  .. 48   r0 .. r12 (for FIQ, r8-r12 are the FIQ mode's own)
 *     sp + 52         pc: the address of the instruction that took the exception (UND,
 *                     SVC, prefetch abort, data abort), or of the next one to run (IRQ,
 *                     FIQ); the exception returns there
 *     sp + 56         spsr: the CPSR of the interrupted code; the return restores it
 *
 * The return instruction is chosen by exc_return_style (exc.h): RFE (the default),
 * MOVS pc, lr, or LDM {.., pc}^. All three copy the SPSR to the CPSR.
 */
	.syntax unified
	.arm

	.equ MODE_USR, 0x10
	.equ MODE_FIQ, 0x11
	.equ MODE_IRQ, 0x12
	.equ MODE_SVC, 0x13
	.equ MODE_ABT, 0x17
	.equ MODE_UND, 0x1b
	.equ MODE_SYS, 0x1f

	/* enum exc_kind, exc.h */
	.equ EXC_RESET, 0
	.equ EXC_UND, 1
	.equ EXC_SVC, 2
	.equ EXC_PABT, 3
	.equ EXC_DABT, 4
	.equ EXC_HYP, 5
	.equ EXC_IRQ, 6
	.equ EXC_FIQ, 7

	/* enum exc_return, exc.h */
	.equ EXC_RET_RFE, 0
	.equ EXC_RET_MOVS, 1
	.equ EXC_RET_LDM, 2

	.section .text.start, "ax"
	.global _start
	.type _start, %function
_start:
	mrs	r11, cpsr		/* the entry CPSR, kept for guest_entry_cpsr */
	mrc	p15, 0, r10, c1, c0, 0	/* and SCTLR, for guest_entry_sctlr */
	mov	r0, #0			/* CPU 0's stacks: no offset */
	adr	r7, 1f
	b	cpu_setup
	/* Zero .bss (word-aligned, a whole number of words: see guest.ld). */
1:	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
2:	cmp	r0, r1
	strlo	r2, [r0], #4
	blo	2b
	ldr	r0, =guest_entry_cpsr
	str	r11, [r0]
	ldr	r0, =guest_entry_sctlr
	str	r10, [r0]
	bl	guest_start		/* does not return */
3:	wfi
	b	3b
	.size _start, . - _start

/*
 * cpu_setup: the state every CPU runs the runtime in, for _start and for the secondary
 * CPUs' entry (smp_entry.S). r0 = the offset of this CPU's stacks from CPU 0's (guest.ld);
 * returns by "bx r7" (r7 is not banked: lr is, and the mode changes here), in SVC mode,
 * with r0-r3 changed.
 */
	.global cpu_setup
	.type cpu_setup, %function
cpu_setup:
	/* One stack per mode; every mode with A, I and F masked. */
	cpsid	aif, #MODE_FIQ
	ldr	sp, =__stack_fiq_top
	add	sp, sp, r0
	cpsid	aif, #MODE_IRQ
	ldr	sp, =__stack_irq_top
	add	sp, sp, r0
	cpsid	aif, #MODE_ABT
	ldr	sp, =__stack_abt_top
	add	sp, sp, r0
	cpsid	aif, #MODE_UND
	ldr	sp, =__stack_und_top
	add	sp, sp, r0
	cpsid	aif, #MODE_SYS		/* System and User share r13 and r14 */
	ldr	sp, =__stack_sys_top
	add	sp, sp, r0
	cpsid	aif, #MODE_SVC
	ldr	sp, =__stack_svc_top
	add	sp, sp, r0
	/* A known CPSR: flags, Q and GE clear, little-endian, A I F masked, SVC. */
	ldr	r0, =0x1d3
	msr	cpsr_fsxc, r0
	/* SCTLR: vectors at VBAR (V=0), no alignment checking (A=0), exceptions taken in
	   ARM state (TE=0) and little-endian (EE=0). The MMU stays as we found it (off). */
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #(1 << 13)	/* V */
	bic	r0, r0, #(1 << 1)	/* A */
	bic	r0, r0, #(1 << 30)	/* TE */
	bic	r0, r0, #(1 << 25)	/* EE */
	mcr	p15, 0, r0, c1, c0, 0
	ldr	r0, =__vectors
	mcr	p15, 0, r0, c12, c0, 0	/* VBAR */
	isb
	bx	r7
	.size cpu_setup, . - cpu_setup
	.ltorg

/* The vector table: VBAR needs 32-byte alignment. */
	.section .text.vectors, "ax"
	.balign 32
	.global __vectors
__vectors:
	b	_start			/* 0x00 reset */
	b	vec_und			/* 0x04 undefined instruction */
	b	vec_svc			/* 0x08 supervisor call */
	b	vec_pabt		/* 0x0c prefetch abort */
	b	vec_dabt		/* 0x10 data abort */
	b	vec_hyp			/* 0x14 not used outside Hyp mode */
	b	vec_irq			/* 0x18 IRQ */
	b	vec_fiq			/* 0x1c FIQ */

/*
 * VECTOR name, lr adjustment, kind, mode: lr - adjustment is the frame's pc.
 * SRSDB stores lr and SPSR, so the frame is built from the top down: pc and spsr,
 * then r0-r12. sp is realigned to 8 bytes around the C call (r4 keeps the old one).
 */
	.macro VECTOR name, adjust, kind, mode
\name:
	sub	lr, lr, #\adjust
	srsdb	sp!, #\mode
	stmdb	sp!, {r0-r12}
	mov	r0, sp
	mov	r1, #\kind
	mov	r4, sp
	bic	sp, sp, #7
	bl	exc_dispatch
	mov	sp, r4
	b	exc_return
	.endm

	VECTOR vec_und,  4, EXC_UND,  MODE_UND
	VECTOR vec_svc,  4, EXC_SVC,  MODE_SVC
	VECTOR vec_pabt, 4, EXC_PABT, MODE_ABT
	VECTOR vec_dabt, 8, EXC_DABT, MODE_ABT
	VECTOR vec_hyp,  0, EXC_HYP,  MODE_SVC
	VECTOR vec_irq,  4, EXC_IRQ,  MODE_IRQ
	VECTOR vec_fiq,  4, EXC_FIQ,  MODE_FIQ

/* Returns through the frame at sp, in the mode that took the exception. */
exc_return:
	ldr	r0, =exc_return_style
	ldr	r0, [r0]
	cmp	r0, #EXC_RET_MOVS
	beq	ret_movs
	cmp	r0, #EXC_RET_LDM
	beq	ret_ldm
	/* RFE: loads pc and CPSR from the frame. */
	ldmia	sp!, {r0-r12}
	rfeia	sp!
ret_movs:
	/* MOVS pc, lr: CPSR <- SPSR, pc <- lr. */
	ldr	lr, [sp, #56]
	msr	spsr_fsxc, lr
	ldr	lr, [sp, #52]
	ldmia	sp!, {r0-r12}
	add	sp, sp, #8
	movs	pc, lr
ret_ldm:
	/* LDM with pc and ^: CPSR <- SPSR; r0-r12 and pc from the frame, lr as the base so
	   sp can be set to its final value first. */
	ldr	lr, [sp, #56]
	msr	spsr_fsxc, lr
	mov	lr, sp
	add	sp, sp, #60
	ldmia	lr, {r0-r12, pc}^
	.ltorg
