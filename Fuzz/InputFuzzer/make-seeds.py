#!/usr/bin/env python3
"""Writes the seed inputs of InputFuzzer into corpus/ (run once; the fuzzer grows the corpus).

First byte: 0 Tensor(_:shape:) (Float; 0x80: Double), 1 Tensor(rows), 2 CSV (0x82: Double),
3 safetensors (0x83: Double). See InputFuzzer.swift for the layout of the rest."""
import json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)

def write(name, data):
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(bytes(data))

def f32(*xs): return b"".join(struct.pack("<f", x) for x in xs)
def f64(*xs): return b"".join(struct.pack("<d", x) for x in xs)
def dims(*ds): return bytes(d + 8 for d in ds)   # small sizes: tag = size + 8

nan, inf = float("nan"), float("inf")
write("scalars-2x3", [0, 2] + list(dims(2, 3)) + list(f32(1, -2, 3.5, 0, -0.0, 1e-3)))
write("scalars-0d", [0, 0] + list(f32(2)))
write("scalars-0x3", [0, 2] + list(dims(0, 3)))
write("scalars-nonfinite", [0, 1] + list(dims(6)) + list(f32(nan, inf, -inf, 1e-45, 3.4e38, -0.0)))
write("scalars-huge-zero", [0, 2, 0x80] + list(struct.pack("<q", 2**62)) + list(dims(0)))
write("scalars-negative", [0, 2] + list(dims(-1, 3)) + list(f32(1, 2, 3)))
write("scalars-double", [0x80, 2] + list(dims(2, 2)) + list(f64(1, nan, -inf, 5e-324)))
write("rows-2x3", [1, 2, 3] + list(f32(1, 2, 3)) + [3] + list(f32(4, 5, 6)))
write("rows-ragged", [1, 2, 3] + list(f32(1, 2, 3)) + [2] + list(f32(4, 5)))
write("rows-empty", [1, 0])
csv = b"label,a,b,c\n1,0.5,2,3\n0, 4 ,5,6\n2,7,8,9\n"
write("csv", b"\x02" + csv)
write("csv-double", b"\x82" + csv)
write("csv-bad", b"\x02label,a\n1,x\n")
write("csv-overflow", b"\x02label,a\n1,1e300\n")
write("csv-label-int-max", b"\x02label,a\n9223372036854775807,1\n")
write("csv-subnormal", b"\x82label,a,b\n3,1e-320,-0\n")

def safetensors(tensors, fmt, dtype):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name in sorted(tensors):
        shape, values = tensors[name]
        raw = b"".join(struct.pack("<" + fmt, v) for v in values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data

model = {"0.weight": ([2, 3], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), "0.bias": ([2], [0.01, -0.02]),
         "2.weight": ([1, 2], [1.5, -1.5])}
write("safetensors-f32", b"\x03" + safetensors(model, "f", "F32"))
write("safetensors-f64", b"\x83" + safetensors(model, "d", "F64"))
write("safetensors-wrong-dtype", b"\x03" + safetensors(model, "d", "F64"))
