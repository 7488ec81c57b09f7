/*
 * smp_secondary_entry: where PSCI CPU_ON starts a secondary CPU (smp.h), in SVC mode
 * with the MMU off and r0 = the context id. Records r0, the CPSR and SCTLR in
 * smp_entry_state[cpu] before changing anything, sets the CPU up as _start does
 * (cpu_setup, start.S) with its own stacks, and calls
 * smp_secondary_main(context, cpu). A CPU outside the runtime's range (MPIDR.Aff0 >= 8,
 * or Aff1 or Aff2 non-zero) waits forever.
 */
	.syntax unified
	.arm

	.equ SMP_MAX_CPUS, 8		/* smp.h, guest.ld */

	.text
	.global smp_secondary_entry
	.type smp_secondary_entry, %function
	.balign 4
smp_secondary_entry:
	mov	r10, r0			/* the context id */
	mrs	r11, cpsr
	mrc	p15, 0, r12, c1, c0, 0	/* SCTLR */
	mrc	p15, 0, r9, c0, c0, 5	/* MPIDR */
	ubfx	r8, r9, #8, #16		/* Aff1, Aff2 */
	and	r9, r9, #0xff		/* Aff0: the CPU index */
	cmp	r8, #0
	bne	stuck
	cmp	r9, #SMP_MAX_CPUS
	bhs	stuck
	ldr	r0, =smp_entry_state
	add	r0, r0, r9, lsl #4	/* 16 bytes: struct smp_entry_state */
	stmia	r0, {r10, r11, r12}
	ldr	r1, =__stack_cpu_stride
	mul	r0, r9, r1		/* this CPU's stacks, from CPU 0's */
	adr	r7, 1f
	b	cpu_setup
1:	mov	r0, r10
	mov	r1, r9
	bl	smp_secondary_main	/* does not return */
stuck:	wfi
	b	stuck
	.size smp_secondary_entry, . - smp_secondary_entry
	.ltorg
