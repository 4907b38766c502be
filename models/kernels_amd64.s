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
//	R14 &val[q·vstride], R15 vstride in bytes
//	R11 b (advanced block by block)
//	DX  stride, BX lim
//	R13 q, AX row offset, R12 row address
//	Y8  val[q] broadcast; Y9-Y13 products
//	(Z0-Z16 likewise in the AVX-512 blocks)

// ROW loads the offset of row q, checks it and broadcasts val[q·vstride].
#define ROW \
	MOVQ         (R8)(R13*8), AX \
	IMULQ        DX, AX          \
	CMPQ         AX, BX          \
	JHI          bad             \
	VBROADCASTSD (R14), Y8       \
	LEAQ         (R11)(AX*8), R12

// ROWZ is ROW broadcasting into Z8 (AVX-512).
#define ROWZ \
	MOVQ         (R8)(R13*8), AX \
	IMULQ        DX, AX          \
	CMPQ         AX, BX          \
	JHI          bad             \
	VBROADCASTSD (R14), Z8       \
	LEAQ         (R11)(AX*8), R12

#define NEXT(label) \
	ADDQ R15, R14  \
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

// func combineAVX(c, c0 *float64, n int, idx *int, val *float64, cnt int, b *float64, stride, lim, vstride int) bool
TEXT ·combineAVX(SB), NOSPLIT, $0-81
	MOVQ c+0(FP), DI
	MOVQ c0+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ idx+24(FP), R8
	MOVQ val+32(FP), R9
	MOVQ cnt+40(FP), R10
	MOVQ b+48(FP), R11
	MOVQ stride+56(FP), DX
	MOVQ lim+64(FP), BX
	MOVQ vstride+72(FP), R15
	SHLQ $3, R15

block32:
	CMPQ CX, $32
	JLT  block16
	CMPB ·useAVX512(SB), $0
	JNE  block64z
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
	MOVQ R9, R14
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

// With AVX-512, 64 or 32 columns in eight or four 512-bit registers: the
// same multiplications and additions, eight lanes at a time (each lane does
// exactly what it does in the 256-bit blocks, so the bits are the same).
block64z:
	CMPQ CX, $64
	JLT  block32z
	TESTQ SI, SI
	JZ   zero64z
	VMOVUPD 0(SI), Z0
	VMOVUPD 64(SI), Z1
	VMOVUPD 128(SI), Z2
	VMOVUPD 192(SI), Z3
	VMOVUPD 256(SI), Z4
	VMOVUPD 320(SI), Z5
	VMOVUPD 384(SI), Z6
	VMOVUPD 448(SI), Z7
	JMP  run64z
zero64z:
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
run64z:
	XORQ R13, R13
	MOVQ R9, R14
loop64z:
	ROWZ
	VMULPD 0(R12), Z8, Z9
	VADDPD Z9, Z0, Z0
	VMULPD 64(R12), Z8, Z10
	VADDPD Z10, Z1, Z1
	VMULPD 128(R12), Z8, Z11
	VADDPD Z11, Z2, Z2
	VMULPD 192(R12), Z8, Z12
	VADDPD Z12, Z3, Z3
	VMULPD 256(R12), Z8, Z13
	VADDPD Z13, Z4, Z4
	VMULPD 320(R12), Z8, Z14
	VADDPD Z14, Z5, Z5
	VMULPD 384(R12), Z8, Z15
	VADDPD Z15, Z6, Z6
	VMULPD 448(R12), Z8, Z16
	VADDPD Z16, Z7, Z7
	NEXT(loop64z)
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VMOVUPD Z4, 256(DI)
	VMOVUPD Z5, 320(DI)
	VMOVUPD Z6, 384(DI)
	VMOVUPD Z7, 448(DI)
	ADVANCE(64, adv64z)
	JMP  block64z

block32z:
	CMPQ CX, $32
	JLT  block16
	TESTQ SI, SI
	JZ   zero32z
	VMOVUPD 0(SI), Z0
	VMOVUPD 64(SI), Z1
	VMOVUPD 128(SI), Z2
	VMOVUPD 192(SI), Z3
	JMP  run32z
zero32z:
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
run32z:
	XORQ R13, R13
	MOVQ R9, R14
loop32z:
	ROWZ
	VMULPD 0(R12), Z8, Z9
	VADDPD Z9, Z0, Z0
	VMULPD 64(R12), Z8, Z10
	VADDPD Z10, Z1, Z1
	VMULPD 128(R12), Z8, Z11
	VADDPD Z11, Z2, Z2
	VMULPD 192(R12), Z8, Z12
	VADDPD Z12, Z3, Z3
	NEXT(loop32z)
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	ADVANCE(32, adv32z)

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
	MOVQ R9, R14
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
	MOVQ R9, R14
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
	MOVQ R9, R14
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
	MOVQ R9, R14
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
	MOVQ R9, R14
loop1:
	ROW
	VMULSD 0(R12), X8, X9
	VADDSD X9, X0, X0
	NEXT(loop1)
	VMOVSD X0, 0(DI)

done:
	VZEROUPPER
	MOVB $1, ret+80(FP)
	RET

bad:
	VZEROUPPER
	MOVB $0, ret+80(FP)
	RET

// func hasFMA() bool: CPUID.1:ECX.FMA (bit 12). Call only if hasAVX().
TEXT ·hasFMA(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $12, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func hasAVX512() bool: AVX512F (CPUID.(7,0):EBX bit 16), POPCNT
// (CPUID.1:ECX bit 23), and XCR0 saving the XMM, YMM, opmask and ZMM state.
TEXT ·hasAVX512(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, R8
	ANDL $0x18800000, R8 // OSXSAVE, AVX, POPCNT
	CMPL R8, $0x18800000
	JNE  no512
	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $0x10000, BX
	JZ   no512
	XORL CX, CX
	XGETBV
	ANDL $0xE6, AX
	CMPL AX, $0xE6
	JNE  no512
	MOVB $1, ret+0(FP)
	RET
no512:
	MOVB $0, ret+0(FP)
	RET

DATA gatherseq<>+0(SB)/8, $0
DATA gatherseq<>+8(SB)/8, $1
DATA gatherseq<>+16(SB)/8, $2
DATA gatherseq<>+24(SB)/8, $3
DATA gatherseq<>+32(SB)/8, $4
DATA gatherseq<>+40(SB)/8, $5
DATA gatherseq<>+48(SB)/8, $6
DATA gatherseq<>+56(SB)/8, $7
DATA gatherseq<>+64(SB)/8, $8
GLOBL gatherseq<>(SB), RODATA, $72

// func gatherNZAVX512(idx *int, val *float64, v *float64, n int) int
//
// gatherNZ for n a positive multiple of 8: compresses the nonzero elements
// of each block of 8 (x != 0, NaN included) and their positions in
// registers, then stores all 8 lanes at position cnt; lanes past the count
// are overwritten by the next block or ignored. cnt + 8 <= q + 8 <= n, so
// every store stays within the n elements of idx and val.
TEXT ·gatherNZAVX512(SB), NOSPLIT, $0-40
	MOVQ idx+0(FP), DI
	MOVQ val+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX                        // cnt
	VPXORQ Z1, Z1, Z1                  // zeros
	VMOVDQU64 gatherseq<>+0(SB), Z2    // positions q..q+7
	VPBROADCASTQ gatherseq<>+64(SB), Z3 // 8
gloop:
	VMOVUPD (DX), Z0
	VCMPPD $4, Z1, Z0, K1              // NEQ_UQ: x != 0
	VCOMPRESSPD Z0, K1, Z4
	VPCOMPRESSQ Z2, K1, Z5
	VMOVUPD Z4, (SI)(AX*8)
	VMOVDQU64 Z5, (DI)(AX*8)
	KMOVW K1, BX
	POPCNTL BX, BX
	ADDQ BX, AX
	VPADDQ Z3, Z2, Z2
	ADDQ $64, DX
	SUBQ $8, CX
	JNZ  gloop
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET

// Constants of math.Exp (math/exp_amd64.s), each repeated in four lanes.
#define EXPC(off, v) \
	DATA expc<>+(off)(SB)/8, v \
	DATA expc<>+(off+8)(SB)/8, v \
	DATA expc<>+(off+16)(SB)/8, v \
	DATA expc<>+(off+24)(SB)/8, v

EXPC(0, $1.4426950408889634073599246810018920)    // LOG2E
EXPC(32, $0.69314718055966295651160180568695068359375) // LN2U
EXPC(64, $0.28235290563031577122588448175013436025525412068e-12) // LN2L
EXPC(96, $0.0625)
EXPC(128, $2.4801587301587301587e-5)
EXPC(160, $1.9841269841269841270e-4)
EXPC(192, $1.3888888888888888889e-3)
EXPC(224, $8.3333333333333333333e-3)
EXPC(256, $4.1666666666666666667e-2)
EXPC(288, $1.6666666666666666667e-1)
EXPC(320, $0.5)
EXPC(352, $1.0)
EXPC(384, $2.0)
EXPC(416, $-708.0)
EXPC(448, $709.0)
EXPC(480, $1023)
EXPC(512, $-9223372036854775808)
GLOBL expc<>(SB), RODATA, $544

#define C_LOG2E expc<>+0(SB)
#define C_LN2U expc<>+32(SB)
#define C_LN2L expc<>+64(SB)
#define C_SIXTEENTH expc<>+96(SB)
#define C_P64 expc<>+128(SB)
#define C_P56 expc<>+160(SB)
#define C_P48 expc<>+192(SB)
#define C_P40 expc<>+224(SB)
#define C_P32 expc<>+256(SB)
#define C_P24 expc<>+288(SB)
#define C_HALF expc<>+320(SB)
#define C_ONE expc<>+352(SB)
#define C_TWO expc<>+384(SB)
#define C_LO expc<>+416(SB)
#define C_HI expc<>+448(SB)
#define C_BIAS expc<>+480(SB)
#define C_SIGN expc<>+512(SB)

// CHECK ors into Y7 the lanes of Y0 outside [-708, 709] (NaN included,
// by the unordered predicates NGE_UQ and NLE_UQ):
// there the fast path below is not math.Exp's and Go redoes them.
#define CHECK \
	VCMPPD $0x19, C_LO, Y0, Y5 \
	VCMPPD $0x16, C_HI, Y0, Y6 \
	VORPD  Y5, Y6, Y5          \
	VORPD  Y5, Y7, Y7

// EXPFMA sets Y0 = exp(Y0) for lanes in [-708, 709] by the operations of
// math.Exp's FMA path, in the same order; EXPSSE likewise by its SSE2 path.
// X3 receives the exponents; Y1, Y2 and Y4 are scratch.
#define EXPHEAD \
	VMULPD      C_LOG2E, Y0, Y1 \
	VCVTPD2DQY  Y1, X3          \
	VCVTDQ2PD   X3, Y1

#define EXPTAIL \
	VPMOVSXDQ X3, Y4     \
	VPADDQ    C_BIAS, Y4, Y4 \
	VPSLLQ    $52, Y4, Y4 \
	VMULPD    Y4, Y0, Y0

// DOUBLE sets x = x·(x+2) (Y0 x, Y1 scratch): (1+x)² - 1, undoing one
// halving of the argument; math.Exp does four, after reducing by 1/16.
#define DOUBLE \
	VADDPD C_TWO, Y0, Y1 \
	VMULPD Y1, Y0, Y0

// HORNER sets Y1 = Y1·x + c, unfused.
#define HORNER(c) \
	VMULPD Y0, Y1, Y1 \
	VADDPD c, Y1, Y1

#define EXPFMA \
	EXPHEAD                          \
	VFNMADD231PD C_LN2U, Y1, Y0      \
	VFNMADD231PD C_LN2L, Y1, Y0      \
	VMULPD       C_SIXTEENTH, Y0, Y0 \
	VMOVUPD      C_P64, Y1           \
	VFMADD213PD  C_P56, Y0, Y1       \
	VFMADD213PD  C_P48, Y0, Y1       \
	VFMADD213PD  C_P40, Y0, Y1       \
	VFMADD213PD  C_P32, Y0, Y1       \
	VFMADD213PD  C_P24, Y0, Y1       \
	VFMADD213PD  C_HALF, Y0, Y1      \
	VFMADD213PD  C_ONE, Y0, Y1       \
	VMULPD       Y1, Y0, Y0          \
	DOUBLE                           \
	DOUBLE                           \
	DOUBLE                           \
	VADDPD       C_TWO, Y0, Y1       \
	VFMADD213PD  C_ONE, Y1, Y0       \
	EXPTAIL

#define EXPSSE \
	EXPHEAD                          \
	VMULPD       C_LN2U, Y1, Y2      \
	VSUBPD       Y2, Y0, Y0          \
	VMULPD       C_LN2L, Y1, Y2      \
	VSUBPD       Y2, Y0, Y0          \
	VMULPD       C_SIXTEENTH, Y0, Y0 \
	VMULPD       C_P64, Y0, Y1       \
	VADDPD       C_P56, Y1, Y1       \
	HORNER(C_P48)                    \
	HORNER(C_P40)                    \
	HORNER(C_P32)                    \
	HORNER(C_P24)                    \
	HORNER(C_HALF)                   \
	HORNER(C_ONE)                    \
	VMULPD       Y1, Y0, Y0          \
	DOUBLE                           \
	DOUBLE                           \
	DOUBLE                           \
	DOUBLE                           \
	VADDPD       C_ONE, Y0, Y0       \
	EXPTAIL

// SIGMOID sets Y0 = 1/(1+Y0).
#define SIGMOID \
	VADDPD  C_ONE, Y0, Y0 \
	VMOVUPD C_ONE, Y1     \
	VDIVPD  Y0, Y1, Y0

// SHIFTARG and NEGARG load the arguments src[i] - shift and -src[i].
#define SHIFTARG \
	VMOVUPD (SI), Y0 \
	VSUBPD  Y15, Y0, Y0

#define NEGARG \
	VMOVUPD (SI), Y0 \
	VXORPD  C_SIGN, Y0, Y0

// EXPLOOP runs over the n elements four at a time.
#define EXPLOOP(label, ARG, EXP, POST) \
label: \
	ARG            \
	CHECK          \
	EXP            \
	POST           \
	VMOVUPD Y0, (DI) \
	ADDQ $32, SI   \
	ADDQ $32, DI   \
	SUBQ $4, CX    \
	JNZ  label

// func expAVX(dst, src *float64, n int, shift float64, sigmoid, fma bool) bool
//
// For n a positive multiple of 4: dst[i] = exp(src[i] - shift), or with
// sigmoid set dst[i] = 1/(1 + exp(-src[i])) (shift unused), each as math.Exp
// and the Go expressions compute them. It returns false if some argument of
// the exponential was outside [-708, 709] or NaN: the caller must recompute
// those elements.
TEXT ·expAVX(SB), NOSPLIT, $0-41
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD shift+24(FP), Y15
	MOVBLZX sigmoid+32(FP), AX
	MOVBLZX fma+33(FP), BX
	VXORPD Y7, Y7, Y7
	TESTQ AX, AX
	JNZ   sig
	TESTQ BX, BX
	JZ    shsse
	EXPLOOP(shfma, SHIFTARG, EXPFMA, NOP)
	JMP  expdone
shsse:
	EXPLOOP(shsse1, SHIFTARG, EXPSSE, NOP)
	JMP  expdone
sig:
	TESTQ BX, BX
	JZ    sigsse
	EXPLOOP(sigfma, NEGARG, EXPFMA, SIGMOID)
	JMP  expdone
sigsse:
	EXPLOOP(sigsse1, NEGARG, EXPSSE, SIGMOID)
expdone:
	VMOVMSKPD Y7, AX
	VZEROUPPER
	TESTL AX, AX
	SETEQ ret+40(FP)
	RET

// func colSumAVX(dst, d *float64, m, n int)
//
// colSum for n a positive multiple of 4 and m >= 1: every column summed
// from row 0 down, as colSum does, sixteen or four columns at a time.
TEXT ·colSumAVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ d+8(FP), SI
	MOVQ m+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ CX, DX
	SHLQ $3, DX // row stride in bytes
cs16:
	CMPQ CX, $16
	JLT  cs4
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	LEAQ (SI)(DX*1), R8
	MOVQ BX, R9
	DECQ R9
	JZ   cs16store
cs16row:
	VADDPD 0(R8), Y0, Y0
	VADDPD 32(R8), Y1, Y1
	VADDPD 64(R8), Y2, Y2
	VADDPD 96(R8), Y3, Y3
	ADDQ DX, R8
	DECQ R9
	JNZ  cs16row
cs16store:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $16, CX
	JMP  cs16
cs4:
	TESTQ CX, CX
	JZ    csdone
	VMOVUPD 0(SI), Y0
	LEAQ (SI)(DX*1), R8
	MOVQ BX, R9
	DECQ R9
	JZ   cs4store
cs4row:
	VADDPD 0(R8), Y0, Y0
	ADDQ DX, R8
	DECQ R9
	JNZ  cs4row
cs4store:
	VMOVUPD Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  cs4
csdone:
	VZEROUPPER
	RET

// SLOPE sets Y2 to the leaky ReLU's slope at Y0, 1 where z > 0 (GT_OQ)
// and alpha (Y15) elsewhere, NaN included; Y13 holds zeros, Y14 ones.
#define SLOPE \
	VCMPPD  $0x1E, Y13, Y0, Y1 \
	VANDPD  Y14, Y1, Y2        \
	VANDNPD Y15, Y1, Y3        \
	VORPD   Y3, Y2, Y2

// func mulDerivAVX(c, z, a *float64, n int, act int, alpha float64)
//
// mulDerivative for n a positive multiple of 4, four at a time, with the
// operations of the Go code: act 1 sigmoid, c *= a*(1-a); act 2 ReLU,
// c *= (z > 0 ? 1 : +0); act 3 leaky ReLU, c *= (z > 0 ? 1 : alpha).
TEXT ·mulDerivAVX(SB), NOSPLIT, $0-48
	MOVQ c+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ a+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ act+32(FP), AX
	VBROADCASTSD alpha+40(FP), Y15
	VMOVUPD C_ONE, Y14
	VXORPD  Y13, Y13, Y13
	CMPQ AX, $1
	JEQ  mdsig
	CMPQ AX, $2
	JEQ  mdrelu
mdleaky:
	VMOVUPD (SI), Y0
	SLOPE
	VMULPD  (DI), Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  mdleaky
	JMP  mddone
mdrelu:
	VMOVUPD (SI), Y0
	VCMPPD  $0x1E, Y13, Y0, Y1
	VANDPD  Y14, Y1, Y2
	VMULPD  (DI), Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  mdrelu
	JMP  mddone
mdsig:
	VMOVUPD (DX), Y0
	VSUBPD  Y0, Y14, Y1 // 1 - a
	VMULPD  Y1, Y0, Y1  // a * (1 - a)
	VMULPD  (DI), Y1, Y1
	VMOVUPD Y1, (DI)
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  mdsig
mddone:
	VZEROUPPER
	RET

// func sgdAVX(theta, v, grad *float64, n int, mu, lr float64)
//
// The SGD update for n a positive multiple of 4, with the unfused
// operations of the Go code: vi = mu*v + lr*g; v = vi; theta -= vi.
TEXT ·sgdAVX(SB), NOSPLIT, $0-48
	MOVQ theta+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ grad+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSD mu+32(FP), Y14
	VBROADCASTSD lr+40(FP), Y15
sgdloop:
	VMULPD  (SI), Y14, Y0
	VMULPD  (DX), Y15, Y1
	VADDPD  Y1, Y0, Y0
	VMOVUPD Y0, (SI)
	VMOVUPD (DI), Y2
	VSUBPD  Y0, Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  sgdloop
	VZEROUPPER
	RET

// func actAVX(a, z *float64, n int, leaky bool, alpha float64)
//
// The ReLU (leaky false) or leaky ReLU activation for n a positive multiple
// of 4, with the operations of activate: a = z where z > 0, else +0 (the
// bits of z and'ed with the mask z > 0); a = z·(z > 0 ? 1 : alpha).
TEXT ·actAVX(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ n+16(FP), CX
	MOVBLZX leaky+24(FP), AX
	VBROADCASTSD alpha+32(FP), Y15
	VMOVUPD C_ONE, Y14
	VXORPD  Y13, Y13, Y13
	TESTQ AX, AX
	JNZ   actleaky
actrelu:
	VMOVUPD (SI), Y0
	VCMPPD  $0x1E, Y13, Y0, Y1 // GT_OQ: z > 0
	VANDPD  Y0, Y1, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  actrelu
	JMP  actdone
actleaky:
	VMOVUPD (SI), Y0
	SLOPE
	VMULPD  Y2, Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  actleaky
actdone:
	VZEROUPPER
	RET
