/* irq_call_nested (gic.h): a handler's fn run in System mode with IRQs unmasked. */
	.syntax unified
	.arm

	.equ MODE_IRQ, 0x12
	.equ MODE_SYS, 0x1f

	.text
	.global irq_call_nested
	.type irq_call_nested, %function
	.balign 4
irq_call_nested:
	push	{r4, r5, r6, lr}	/* on the IRQ stack: LR_irq */
	mov	r4, r0
	mov	r0, r1
	cps	#MODE_SYS		/* I stays set */
	mov	r5, sp			/* the interrupted code's System sp and lr, */
	mov	r6, lr			/* kept in registers fn preserves */
	bic	sp, sp, #7
	cpsie	i
	blx	r4
	cpsid	i
	mov	sp, r5
	mov	lr, r6
	cps	#MODE_IRQ
	pop	{r4, r5, r6, pc}
	.size irq_call_nested, . - irq_call_nested
