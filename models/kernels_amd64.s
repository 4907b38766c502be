//go:build amd64 && !purego

#include "textflag.h"

// func hasAVX() bool
TEXT ·hasAVX(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX // OSXSAVE (bit 27) and AVX (bit 28)
	CMPL CX, $0x18000000
	JNE  no
	XORL CX, CX
	XGETBV               // XCR0 in DX:AX
	ANDL $6, AX          // XMM and YMM state
	CMPL AX, $6
	JNE  no
	MOVB $1, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET

// Registers of combineAVX:
//	DI  c (advanced block by block)
//	SI  c0 (advanced likewise), or 0
//	CX  columns left
//	R8  idx, R9 val, R10 cnt
//	R11 b (advanced block by block)
//	DX  stride, BX lim
//	R13 q, AX row offset, R12 row address
//	Y8  val[q] broadcast; Y9-Y13 products

// ROW loads the offset of row q, checks it and broadcasts val[q].
#define ROW \
	MOVQ         (R8)(R13*8), AX \
	IMULQ        DX, AX          \
	CMPQ         AX, BX          \
	JHI          bad             \
	VBROADCASTSD (R9)(R13*8), Y8 \
	LEAQ         (R11)(AX*8), R12

#define NEXT(label) \
	INCQ R13       \
	CMPQ R13, R10  \
	JLT  label

// ADVANCE moves c, c0 and b by w columns.
#define ADVANCE(w, label) \
	ADDQ  $(8*w), DI  \
	ADDQ  $(8*w), R11 \
	SUBQ  $w, CX      \
	TESTQ SI, SI      \
	JZ    label       \
	ADDQ  $(8*w), SI  \
label:

// func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim int) bool
TEXT ·combineAVX(SB), NOSPLIT, $0-73
	MOVQ c+0(FP), DI
	MOVQ c0+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ cnt+40(FP), R10
	MOVQ b+48(FP), R11
	MOVQ stride+56(FP), DX
	MOVQ lim+64(FP), BX

block32:
	CMPQ CX, $32
	JLT  block16
	TESTQ SI, SI
	JZ   zero32
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VMOVUPD 128(SI), Y4
	VMOVUPD 160(SI), Y5
	VMOVUPD 192(SI), Y6
	VMOVUPD 224(SI), Y7
	JMP  run32
zero32:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
run32:
	XORQ R13, R13
loop32:
	ROW
	VMULPD 0(R12), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMULPD 32(R12), Y8, Y10
	VADDPD Y10, Y1, Y1
	VMULPD 64(R12), Y8, Y11
	VADDPD Y11, Y2, Y2
	VMULPD 96(R12), Y8, Y12
	VADDPD Y12, Y3, Y3
	VMULPD 128(R12), Y8, Y13
	VADDPD Y13, Y4, Y4
	VMULPD 160(R12), Y8, Y9
	VADDPD Y9, Y5, Y5
	VMULPD 192(R12), Y8, Y10
	VADDPD Y10, Y6, Y6
	VMULPD 224(R12), Y8, Y11
	VADDPD Y11, Y7, Y7
	NEXT(loop32)
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	ADVANCE(32, adv32)
	JMP  block32

block16:
	CMPQ CX, $16
	JLT  block8
	TESTQ SI, SI
	JZ   zero16
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	JMP  run16
zero16:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
run16:
	XORQ R13, R13
loop16:
	ROW
	VMULPD 0(R12), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMULPD 32(R12), Y8, Y10
	VADDPD Y10, Y1, Y1
	VMULPD 64(R12), Y8, Y11
	VADDPD Y11, Y2, Y2
	VMULPD 96(R12), Y8, Y12
	VADDPD Y12, Y3, Y3
	NEXT(loop16)
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADVANCE(16, adv16)

block8:
	CMPQ CX, $8
	JLT  block4
	TESTQ SI, SI
	JZ   zero8
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	JMP  run8
zero8:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
run8:
	XORQ R13, R13
loop8:
	ROW
	VMULPD 0(R12), Y8, Y9
	VADDPD Y9, Y0, Y0
	VMULPD 32(R12), Y8, Y10
	VADDPD Y10, Y1, Y1
	NEXT(loop8)
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	ADVANCE(8, adv8)

block4:
	CMPQ CX, $4
	JLT  block2
	TESTQ SI, SI
	JZ   zero4
	VMOVUPD 0(SI), Y0
	JMP  run4
zero4:
	VXORPD Y0, Y0, Y0
run4:
	XORQ R13, R13
loop4:
	ROW
	VMULPD 0(R12), Y8, Y9
	VADDPD Y9, Y0, Y0
	NEXT(loop4)
	VMOVUPD Y0, 0(DI)
	ADVANCE(4, adv4)

block2:
	CMPQ CX, $2
	JLT  block1
	TESTQ SI, SI
	JZ   zero2
	VMOVUPD 0(SI), X0
	JMP  run2
zero2:
	VXORPD X0, X0, X0
run2:
	XORQ R13, R13
loop2:
	ROW
	VMULPD 0(R12), X8, X9
	VADDPD X9, X0, X0
	NEXT(loop2)
	VMOVUPD X0, 0(DI)
	ADVANCE(2, adv2)

block1:
	CMPQ CX, $1
	JLT  done
	TESTQ SI, SI
	JZ   zero1
	VMOVSD 0(SI), X0
	JMP  run1
zero1:
	VXORPD X0, X0, X0
run1:
	XORQ R13, R13
loop1:
	ROW
	VMULSD 0(R12), X8, X9
	VADDSD X9, X0, X0
	NEXT(loop1)
	VMOVSD X0, 0(DI)

done:
	VZEROUPPER
	MOVB $1, ret+72(FP)
	RET

bad:
	VZEROUPPER
	MOVB $0, ret+72(FP)
	RET
