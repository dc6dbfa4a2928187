// Where each output vector of the implicit convolution reads its rows of the never-formed
// column buffer (Note [Implicit convolution], Note [Flat output vectors]), for vectors of
// `lanes` lanes: 16 in conv_avx512.c, 8 in conv_avx2.c. One layout code for both, so that both
// run every output element through the same taps in the same order (their bits are the same).
// A lane mask is a uint16_t with bit l for lane l (__mmask16 itself in the AVX-512 kernel).
// Private to this target.
#ifndef TENSORCORE_CONV_SEGMENTS_H
#define TENSORCORE_CONV_SEGMENTS_H
#include <stdbool.h>
#include <stdint.h>
#include "CTensorCoreShims.h"

/// The mask of the first `count` of `lanes` lanes (none when `count` ≤ 0, all from `lanes`).
static inline uint16_t tc_conv_lanes(long count, long lanes) {
    return count >= lanes ? (uint16_t)((1u << lanes) - 1) : count <= 0 ? (uint16_t)0 : (uint16_t)((1u << count) - 1);
}

/// The input offset and lane mask, per tap (kh, kw), of the vector whose lanes are the output
/// positions (h, w0 + l), l < n, of one output row: the layout for any geometry (Note
/// [Implicit convolution]).
static inline void tc_conv_row_segment(long lanes, long h, long w0, long n, long H, long W, long kH, long kW,
                                       long sH, long pH, long pW, long dH, long dW, long *off, uint16_t *mask) {
    for (long kh = 0; kh < kH; kh++) {
        const long ih = h * sH + kh * dH - pH;
        for (long kw = 0; kw < kW; kw++) {
            const long j = kh * kW + kw, iw = w0 + kw * dW - pW;
            // lanes l with 0 ≤ iw + l < W and l < n
            const long lo = iw < 0 ? -iw : 0, hi = W - iw < n ? W - iw : n;
            const uint16_t m = (ih >= 0 && ih < H && hi > lo)
                ? (uint16_t)(tc_conv_lanes(hi, lanes) & ~tc_conv_lanes(lo, lanes)) : 0;
            mask[j] = m;
            off[j] = m ? ih * W + iw : 0;
        }
    }
}

/// The same for the vector of positions p0 ..< p0 + n of the flattened output, which may span
/// several output rows (Note [Flat output vectors]).
static inline void tc_conv_flat_segment(long lanes, long p0, long n, long H, long W, long kH, long kW, long pH,
                                        long pW, long dH, long dW, long *off, uint16_t *mask) {
    // A lane is valid for tap (kh, kw) iff its row is for kh and its column for kw: the masks
    // of rows and of columns, each walked over the output rows the vector touches, then ANDed.
    uint16_t rows[TC_CONV_MAX_TAPS], cols[TC_CONV_MAX_TAPS];
    for (long kh = 0; kh < kH; kh++) {
        const long dh = kh * dH - pH;
        uint16_t m = 0;
        for (long l = 0, h = p0 / W, w = p0 % W; l < n; l += W - w, h++, w = 0) {
            if (h + dh >= 0 && h + dh < H) m |= (uint16_t)(tc_conv_lanes(l + W - w, lanes) & ~tc_conv_lanes(l, lanes));
        }
        rows[kh] = m & tc_conv_lanes(n, lanes);
    }
    for (long kw = 0; kw < kW; kw++) {
        const long dw = kw * dW - pW;
        // columns c with 0 ≤ c + dw < W: c in [lo, hi)
        const long lo = dw < 0 ? -dw : 0, hi = dw > 0 ? W - dw : W;
        uint16_t m = 0;
        for (long l = 0, w = p0 % W; l < n; l += W - w, w = 0) {
            const long from = lo > w ? lo : w;   // the valid columns of this row's lanes
            if (hi > from) m |= (uint16_t)(tc_conv_lanes(l + hi - w, lanes) & ~tc_conv_lanes(l + from - w, lanes));
        }
        cols[kw] = m & tc_conv_lanes(n, lanes);
    }
    for (long kh = 0; kh < kH; kh++) {
        for (long kw = 0; kw < kW; kw++) {
            const long j = kh * kW + kw;
            const uint16_t m = rows[kh] & cols[kw];
            mask[j] = m;
            off[j] = m ? p0 + (kh * dH - pH) * W + kw * dW - pW : 0;
        }
    }
}

/// For the vector of output segment `s` of `images · segs` (image `s / segs`): its output
/// pointer and lanes, and per (kh, kw) the input offset (from the first image) and lane mask
/// of its B row, copied from `table` (the offsets and masks of one image's `segs` segments, in
/// `tableOff` and `tableMask`) when there is one.
static inline void tc_conv_segment(long lanes, long s, long total, long segs, bool flat, long H, long W, long kH,
                                   long kW, long sH, long pH, long pW, long dH, long dW, long oH, long oW,
                                   long xImage, float *out, long outImage, const long *tableOff,
                                   const uint16_t *tableMask, long *off, uint16_t *mask, float **c, uint16_t *valid) {
    if (s >= total) {   // the second vector of an odd last pair: nothing to load or store
        for (long j = 0; j < kH * kW; j++) { off[j] = 0; mask[j] = 0; }
        *c = out;
        *valid = 0;
        return;
    }
    const long image = s / segs, local = s % segs;
    long p0, n;
    if (flat) {
        p0 = local * lanes;
        n = oH * oW - p0 < lanes ? oH * oW - p0 : lanes;
        if (!tableOff) tc_conv_flat_segment(lanes, p0, n, H, W, kH, kW, pH, pW, dH, dW, off, mask);
    } else {
        const long rowSegs = (oW + lanes - 1) / lanes, h = local / rowSegs, w0 = local % rowSegs * lanes;
        p0 = h * oW + w0;
        n = oW - w0 < lanes ? oW - w0 : lanes;
        if (!tableOff) tc_conv_row_segment(lanes, h, w0, n, H, W, kH, kW, sH, pH, pW, dH, dW, off, mask);
    }
    const long kk = kH * kW;
    for (long j = 0; j < kk; j++) {
        off[j] = (tableOff ? tableOff[local * kk + j] : off[j]) + image * xImage;
        if (tableOff) mask[j] = tableMask[local * kk + j];
    }
    *c = out + image * outImage + p0;
    *valid = tc_conv_lanes(n, lanes);
}

/// The segments of `lanes` outputs per image: the flattened output's, or each output row's.
static inline long tc_conv_segments(long lanes, bool flat, long oH, long oW) {
    return flat ? (oH * oW + lanes - 1) / lanes : oH * ((oW + lanes - 1) / lanes);
}

#endif
