// NEON macros shared by kernel_arm64.s and vjp_arm64.s: instruction
// encodings and the sincos of the fast kernels.

// The Go assembler has no mnemonics for these vector float instructions, so
// they are encoded here from register numbers (vd destination, vn and vm
// sources, ix lane index); every use names the instruction in a comment.

// FMLA Vd.4S, Vn.4S, Vm.S[ix]
#define FMLA_S(vd, vn, vm, ix) WORD $(0x4f801000 | (((ix)&1)<<21) | (((ix)>>1)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMLS Vd.4S, Vn.4S, Vm.S[ix]
#define FMLS_S(vd, vn, vm, ix) WORD $(0x4f805000 | (((ix)&1)<<21) | (((ix)>>1)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL_S(vd, vn, vm) WORD $(0x6e20dc00 | ((vm)<<16) | ((vn)<<5) | (vd))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB_S(vd, vn, vm) WORD $(0x4ea0d400 | ((vm)<<16) | ((vn)<<5) | (vd))
// CMLT Vd.4S, Vn.4S, #0
#define CMLT_S(vd, vn) WORD $(0x4ea0a800 | ((vn)<<5) | (vd))
// FCVTL Vd.2D, Vn.2S
#define FCVTL(vd, vn) WORD $(0x0e617800 | ((vn)<<5) | (vd))
// FCVTL2 Vd.2D, Vn.4S
#define FCVTL2(vd, vn) WORD $(0x4e617800 | ((vn)<<5) | (vd))
// FMLA Vd.2D, Vn.2D, Vm.D[ix]
#define FMLA_D(vd, vn, vm, ix) WORD $(0x4fc01000 | ((ix)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMLS Vd.2D, Vn.2D, Vm.D[ix]
#define FMLS_D(vd, vn, vm, ix) WORD $(0x4fc05000 | ((ix)<<11) | ((vm)<<16) | ((vn)<<5) | (vd))
// FMUL Vd.2D, Vn.2D, Vm.2D
#define FMUL_D(vd, vn, vm) WORD $(0x6e60dc00 | ((vm)<<16) | ((vn)<<5) | (vd))
// FSUB Vd.2D, Vn.2D, Vm.2D
#define FSUB_D(vd, vn, vm) WORD $(0x4ee0d400 | ((vm)<<16) | ((vn)<<5) | (vd))
// FADD Vd.2D, Vn.2D, Vm.2D
#define FADD_D(vd, vn, vm) WORD $(0x4e60d400 | ((vm)<<16) | ((vn)<<5) | (vd))
// CMLT Vd.2D, Vn.2D, #0
#define CMLT_D(vd, vn) WORD $(0x4ee0a800 | ((vn)<<5) | (vd))
// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD_S(vd, vn, vm) WORD $(0x4e20d400 | ((vm)<<16) | ((vn)<<5) | (vd))
// FADDP Dd, Vn.2D (scalar pairwise: Dd = Vn.D[0] + Vn.D[1])
#define FADDP_D(vd, vn) WORD $(0x7e70d800 | ((vn)<<5) | (vd))

// SINCOS32CORE is sincos32 on the four phases in register vt (number nt):
// sin ends in vt, cos in V28. Constants in V0–V3 (·neonConst32, loaded as
// in kernel_arm64.s); clobbers V24–V28.
#define SINCOS32CORE(vt, nt) \
	VMOV	V3.B16, V24.B16;                  \
	FMLA_S(24, nt, 0, 0);                     /* fmla v24.4s, vt.4s, v0.s[0]: qm = t·2/π + magic */ \
	FSUB_S(25, 24, 3);                        /* fsub v25.4s, v24.4s, v3.4s: q = qm − magic */ \
	FMLS_S(nt, 25, 0, 1);                     /* fmls vt.4s, v25.4s, v0.s[1]: r = t − q·pio2a */ \
	FMLS_S(nt, 25, 0, 2);                     /* fmls vt.4s, v25.4s, v0.s[2]: r −= q·pio2b */ \
	FMLS_S(nt, 25, 0, 3);                     /* fmls vt.4s, v25.4s, v0.s[3]: r −= q·pio2c */ \
	FMUL_S(25, nt, nt);                       /* fmul v25.4s, vt.4s, vt.4s: z = r·r */ \
	VDUP	V1.S[1], V26.S4;                  \
	FMLA_S(26, 25, 1, 2);                     /* fmla v26.4s, v25.4s, v1.s[2]: sin2 + z·sin3 */ \
	VDUP	V1.S[0], V27.S4;                  \
	VFMLA	V26.S4, V25.S4, V27.S4;           /* ps = sin1 + z·(…) */ \
	FMUL_S(26, nt, 25);                       /* fmul v26.4s, vt.4s, v25.4s: r·z */ \
	VFMLA	V26.S4, V27.S4, vt.S4;            /* sn = r + r·z·ps */ \
	VDUP	V2.S[1], V26.S4;                  \
	FMLA_S(26, 25, 2, 2);                     /* fmla v26.4s, v25.4s, v2.s[2]: cos2 + z·cos3 */ \
	VDUP	V2.S[0], V27.S4;                  \
	VFMLA	V26.S4, V25.S4, V27.S4;           /* pc = cos1 + z·(…) */ \
	FMUL_S(26, 25, 25);                       /* fmul v26.4s, v25.4s, v25.4s: z·z */ \
	VDUP	V2.S[3], V28.S4;                  \
	FMLS_S(28, 25, 1, 3);                     /* fmls v28.4s, v25.4s, v1.s[3]: 1 − 0.5·z */ \
	VFMLA	V26.S4, V27.S4, V28.S4;           /* cs = 1 − 0.5·z + z·z·pc */ \
	VSHL	$31, V24.S4, V25.S4;              /* bit 0 of q to the sign bit */ \
	CMLT_S(26, 25);                           /* cmlt v26.4s, v25.4s, #0: odd mask */ \
	VUSHR	$1, V24.S4, V27.S4;               \
	VSHL	$31, V27.S4, V27.S4;              /* sin sign: bit 1 of q */ \
	VEOR	V27.B16, V25.B16, V25.B16;        /* cos sign: bit 1 of q+1 */ \
	VMOV	vt.B16, V24.B16;                  \
	VBIT	V26.B16, V28.B16, vt.B16;         /* odd: sin ← cs */ \
	VBIT	V26.B16, V24.B16, V28.B16;        /* odd: cos ← sn */ \
	VEOR	V27.B16, vt.B16, vt.B16;          \
	VEOR	V25.B16, V28.B16, V28.B16

// SINCOS64CORE is sincos64 on the two phases in register vt (number nt):
// sin ends in vt, cos in V28. Constants in V0–V9 (·neonConst64); clobbers
// V24–V28.
#define SINCOS64CORE(vt, nt) \
	VMOV	V9.B16, V24.B16;                  \
	FMLA_D(24, nt, 0, 0);                     /* fmla v24.2d, vt.2d, v0.d[0]: qm = t·2/π + magic */ \
	FSUB_D(25, 24, 9);                        /* fsub v25.2d, v24.2d, v9.2d: q = qm − magic */ \
	FMLS_D(nt, 25, 0, 1);                     /* fmls vt.2d, v25.2d, v0.d[1]: r = t − q·pio2a */ \
	FMLS_D(nt, 25, 1, 0);                     /* fmls vt.2d, v25.2d, v1.d[0]: r −= q·pio2b */ \
	FMLS_D(nt, 25, 1, 1);                     /* fmls vt.2d, v25.2d, v1.d[1]: r −= q·pio2c */ \
	FMUL_D(25, nt, nt);                       /* fmul v25.2d, vt.2d, vt.2d: z = r·r */ \
	VDUP	V4.D[0], V26.D2;                  \
	FMLA_D(26, 25, 4, 1);                     /* fmla v26.2d, v25.2d, v4.d[1]: sin5 + z·sin6 */ \
	VDUP	V3.D[1], V27.D2;                  \
	VFMLA	V26.D2, V25.D2, V27.D2;           /* sin4 + z·(…) */ \
	VDUP	V3.D[0], V26.D2;                  \
	VFMLA	V27.D2, V25.D2, V26.D2;           /* sin3 + z·(…) */ \
	VDUP	V2.D[1], V27.D2;                  \
	VFMLA	V26.D2, V25.D2, V27.D2;           /* sin2 + z·(…) */ \
	VDUP	V2.D[0], V26.D2;                  \
	VFMLA	V27.D2, V25.D2, V26.D2;           /* ps = sin1 + z·(…) */ \
	FMUL_D(27, nt, 25);                       /* fmul v27.2d, vt.2d, v25.2d: r·z */ \
	VFMLA	V27.D2, V26.D2, vt.D2;            /* sn = r + r·z·ps */ \
	VDUP	V7.D[0], V26.D2;                  \
	FMLA_D(26, 25, 7, 1);                     /* fmla v26.2d, v25.2d, v7.d[1]: cos5 + z·cos6 */ \
	VDUP	V6.D[1], V27.D2;                  \
	VFMLA	V26.D2, V25.D2, V27.D2;           /* cos4 + z·(…) */ \
	VDUP	V6.D[0], V26.D2;                  \
	VFMLA	V27.D2, V25.D2, V26.D2;           /* cos3 + z·(…) */ \
	VDUP	V5.D[1], V27.D2;                  \
	VFMLA	V26.D2, V25.D2, V27.D2;           /* cos2 + z·(…) */ \
	VDUP	V5.D[0], V26.D2;                  \
	VFMLA	V27.D2, V25.D2, V26.D2;           /* pc = cos1 + z·(…) */ \
	FMUL_D(27, 25, 25);                       /* fmul v27.2d, v25.2d, v25.2d: z·z */ \
	VDUP	V8.D[1], V28.D2;                  \
	FMLS_D(28, 25, 8, 0);                     /* fmls v28.2d, v25.2d, v8.d[0]: 1 − 0.5·z */ \
	VFMLA	V26.D2, V27.D2, V28.D2;           /* cs = 1 − 0.5·z + z·z·pc */ \
	VSHL	$63, V24.D2, V25.D2;              /* bit 0 of q to the sign bit */ \
	CMLT_D(26, 25);                           /* cmlt v26.2d, v25.2d, #0: odd mask */ \
	VUSHR	$1, V24.D2, V27.D2;               \
	VSHL	$63, V27.D2, V27.D2;              /* sin sign: bit 1 of q */ \
	VEOR	V27.B16, V25.B16, V25.B16;        /* cos sign: bit 1 of q+1 */ \
	VMOV	vt.B16, V24.B16;                  \
	VBIT	V26.B16, V28.B16, vt.B16;         /* odd: sin ← cs */ \
	VBIT	V26.B16, V24.B16, V28.B16;        /* odd: cos ← sn */ \
	VEOR	V27.B16, vt.B16, vt.B16;          \
	VEOR	V25.B16, V28.B16, V28.B16
