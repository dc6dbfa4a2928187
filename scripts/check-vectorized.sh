#!/usr/bin/env bash
# Checks that the hot kernels are vectorized in a plain `swift build -c release` (no unsafe
# flags): each Float-specialized kernel below must contain packed SIMD arithmetic
# (SSE `addps`/`mulps`/`maxps`..., or their AVX `v` forms). A kernel that silently fell back to
# scalar code (a generic SIMD operation lowered lane by lane, say) fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tensorbench >/dev/null || { echo 'check-vectorized: release build failed'; exit 1; }
asm=$(mktemp)
objdump -d --no-show-raw-insn .build/release/tensorbench > "$asm"

bodies() {  # $1: disassembly file, $2: symbol regex: the instructions of every matching function
  awk -v pat="$2" '$0 ~ "^[0-9a-f]+ <" && $0 ~ pat {on=1; next} on && /^$/ {on=0} on' "$1"
}

check() {  # $1: description, $2: symbol regex, $3: packed-instruction regex
  local body
  body=$(bodies "$asm" "$2")
  if [ -z "$body" ]; then echo "check-vectorized: no symbol for $1 ($2)"; return 1; fi
  local count
  count=$(grep -cE "$3" <<< "$body" || true)
  if [ "$count" -gt 0 ]; then
    echo "check-vectorized: $1: vectorized ($count packed instructions)"
  else
    echo "check-vectorized: $1 is NOT vectorized"; return 1
  fi
}

status=0
# `(A2A0A6ScalarRzrlE)?`: the kernels' extension is constrained to `Scalar: TensorScalar` since
# DenseTensor holds any `TensorElement`, which the mangling spells out.
check "sum (4×SIMD16 accumulators)" 'DenseA0V(A2A0A6ScalarRzrlE)?9sumKernel.*Sf_' '\b(v?addps)\b' || status=1
# `Sf_Tgq?5`: an @inlinable function's prespecialization is mangled with a `q`.
check "a + scalar"                  'DenseA0V(A2A0A6ScalarRzrlE)?6binary_6scalar.*Sf_Tgq?5>' '\b(v?addps|v?mulps|v?subps|v?divps)\b' || status=1
check "unary (relu: compare+select)"  'DenseA0V(A2A0A6ScalarRzrlE)?5unaryyACyxGAA7UnaryOpOF.*Sf_Tgq?5>' '\b(v?maxps|v?cmpltps|v?cmpnleps|v?blendvps|v?andps|v?andnps)\b' || status=1
# The loops live in `binary(_:_:)` itself or, where the optimizer keeps it out of line (as it
# does since the strided fast paths grew it), in its broadcasting driver `zip(_:_:outShape:…)`.
check "tensor ⊙ tensor"             'DenseA0V(A2A0A6ScalarRzrlE)?(6binaryyACyxGAA8BinaryOpO_A[EF]tF|3zip__8outShape4into13inMemoryOrderyAA8BinaryOpO_ACyxGSaySiGSpyxGSbtF)Sf_Tgq?5>' '\b(v?addps|v?mulps|v?subps|v?divps)\b' || status=1
check "partial + g·b (product's derivative)" 'DenseA0V(A2A0A6ScalarRzrlE)?10multiplied2by6adding.*Sf_Tgq?5>' '\b(v?mulps)\b' || status=1
# The contiguous a ⊙ b loop, which holds both the plain loop and the one computing 4 KB pieces
# that are then streamed out (outputs above 8 MiB).
check "a + b loop (plain and streamed)" 'zipLoopyyq_m_SPyxGACSpyxGSitAA0A6ScalarRzAA16ElementFunction2R_r0_lFySnySiGXEfU_Sf_AA2FnO3AddOTgq?5>' '\b(v?addps)\b' || status=1
# The transpose moves bits: Float's runs through UInt32 (`transposeTileBits`, any element type).
check "matrix transpose (4×4 blocks)" 'transposeTileBits.*s6UInt32V_T[a-z0-9]*5>' '\b(v?unpcklps|v?unpckhps|v?shufps|v?insertps|v?movlhps|v?movhlps|v?permps|v?vpermt2ps|v?blendps)\b' || status=1
# The Float exp kernel (Note [Vectorized exp]): each build of its loop works on whole vectors
# (xmm in the baseline, ymm with AVX2, zmm with AVX-512); the AVX2 and AVX-512 builds fuse their
# written-out multiply-adds (TC_FMA) in vfmadd, the baseline calls libm's fmaf for them: one
# rounding either way, so every build gives the same bits. The GELU kernels are checked alike.
for v in 'xmm:_tensorcore_exp_f32' 'ymm:_tensorcore_exp_f32_avx2' 'zmm:_tensorcore_exp_f32_avx512' \
         'xmm:_tensorcore_gelu_f32' 'ymm:_tensorcore_gelu_f32_avx2' 'zmm:_tensorcore_gelu_f32_avx512' \
         'xmm:_tensorcore_gelu_backward_f32' 'ymm:_tensorcore_gelu_backward_f32_avx2' 'zmm:_tensorcore_gelu_backward_f32_avx512'; do
  IFS=: read -r want name <<< "$v"
  body=$(bodies "$asm" "<$name>:")
  packed=$(grep -cE "(mul|add)ps.*%$want" <<< "$body" || true)
  fused=$(grep -cE "vfn?m(add|sub)[0-9]*ps.*%$want" <<< "$body" || true)
  if [ "$packed" -gt 0 ] && { [ "$want" = xmm ] || [ "$fused" -gt 0 ]; }; then
    echo "check-vectorized: $name: $packed packed multiplies/adds, $fused fused multiply-adds on $want"
  else
    echo "check-vectorized: $name: $packed packed multiplies/adds on $want, $fused fused multiply-adds (expected some)"; status=1
  fi
done
# The AVX-512 sgemm tile (Note [Own sgemm kernel]): 12 rows × 2 vectors = 24 zmm FMAs per step
# of k. At SwiftPM's -O2 its row loops stayed rolled until unrolled by pragma (40 % of the speed).
fmas=$(bodies "$asm" '<tc_tile_rows_12>:' | grep -cE 'vfmadd231ps.*zmm' || true)
if [ "$fmas" -ge 24 ]; then
  echo "check-vectorized: sgemm 12×32 tile: $fmas zmm FMAs (unrolled)"
else
  echo "check-vectorized: sgemm 12×32 tile has $fmas zmm FMAs, expected at least 24 (rolled loops?)"; status=1
fi
# The AVX2 implicit convolution's 6-row tiles (Note [AVX2 implicit convolution], its masked-load
# and plain-load kinds; Note [AVX2 implicit weight gradient]): 6 rows × 2 vectors = 12 ymm FMAs
# per step of k.
for tile in tc_conv2_tile_0_6 tc_conv2_tile_1_6 tc_convw2_tile_2_6; do
  fmas=$(bodies "$asm" "<$tile>:" | grep -cE 'vfmadd231ps.*ymm' || true)
  if [ "$fmas" -ge 12 ]; then
    echo "check-vectorized: AVX2 convolution tile $tile: $fmas ymm FMAs (unrolled)"
  else
    echo "check-vectorized: AVX2 convolution tile $tile has $fmas ymm FMAs, expected at least 12 (rolled loops?)"; status=1
  fi
done
shuffles=$(bodies "$asm" '<_tensorcore_transpose_f32>:' | grep -cE 'v(unpck[lh]p[sd]|shufp[sd]|shuf[fi](32x4|64x2)|perm[a-z0-9]*).*zmm' || true)
if [ "$shuffles" -ge 64 ]; then
  echo "check-vectorized: AVX-512 16×16 transpose: $shuffles zmm shuffles"
else
  echo "check-vectorized: AVX-512 transpose has $shuffles zmm shuffles, expected at least 64"; status=1
fi
# The tile must keep its 24 accumulators in registers whatever CPU the C is tuned for: a user's
# `-Xcc -march=native` reaches this target too, and on AMD (znver4/znver5) the cost model once
# unrolled the k loop and spilled accumulators to the stack (0.32–0.59× OpenBLAS's speed).
# Compiled here with the toolchain's clang for each tuning; any zmm load or store against the
# stack fails.
obj=$(mktemp)
for tuning in "" -march=x86-64-v4 -march=skylake-avx512 -march=sapphirerapids -march=znver4 -march=znver5; do
  clang -O2 $tuning -c -ISources/CTensorCoreShims/include \
    Sources/CTensorCoreShims/sgemm_avx512.c -o "$obj"
  objdump -d --no-show-raw-insn "$obj" > "$asm"
  spills=$(bodies "$asm" '<tc_tile_' | grep -E 'zmm' | grep -c '(%rsp)' || true)
  if [ "$spills" -eq 0 ]; then
    echo "check-vectorized: sgemm tiles, clang -O2 ${tuning:-(no -march)}: accumulators in registers"
  else
    echo "check-vectorized: sgemm tiles, clang -O2 ${tuning:-(no -march)}: $spills zmm stack accesses (spilled accumulators)"; status=1
  fi
done
# The same for the AVX2 convolution's tiles, whose 12 accumulators, two B vectors and broadcast
# take 15 of AVX2's 16 ymm registers (Zen 3, the CPU they are for, included).
for tuning in "" -march=x86-64-v3 -march=haswell -march=znver3 -march=znver4; do
  for file in conv_avx2 conv_weight_avx2; do
    clang -O2 $tuning -c -ISources/CTensorCoreShims/include "Sources/CTensorCoreShims/$file.c" -o "$obj"
    objdump -d --no-show-raw-insn "$obj" > "$asm"
    spills=$(bodies "$asm" '<tc_convw?2_tile_' | grep -E 'ymm' | grep -c '(%rsp)' || true)
    if [ "$spills" -eq 0 ]; then
      echo "check-vectorized: $file.c tiles, clang -O2 ${tuning:-(no -march)}: accumulators in registers"
    else
      echo "check-vectorized: $file.c tiles, clang -O2 ${tuning:-(no -march)}: $spills ymm stack accesses (spilled accumulators)"; status=1
    fi
  done
done
rm -f "$asm" "$obj"
exit $status
