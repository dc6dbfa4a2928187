// Sixteen-lane accumulators summed as a tree (halves added, four steps), shared by the row
// kernels of softmax_f32.c and layernorm_f32.c: the same order as the Swift kernels' laneSum.
// Private to this target.
#ifndef TENSORCORE_LANES_H
#define TENSORCORE_LANES_H

static inline __attribute__((always_inline)) float tc_lanes_sum(const float *s) {
#pragma clang fp contract(off)
    float t8[8], t4[4];
    for (int j = 0; j < 8; j++) t8[j] = s[j] + s[j + 8];
    for (int j = 0; j < 4; j++) t4[j] = t8[j] + t8[j + 4];
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

#endif
