#!/usr/bin/env python3
"""Re-stamp a model blob's total length and CRC-32C in place (as the fuzzer's
second read does), e.g. to keep an input libFuzzer found as a regression seed:
    test/fuzz/restamp.py FILE..."""
import sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF

for path in sys.argv[1:]:
    b = bytearray(open(path, 'rb').read())
    if len(b) < 20:
        sys.exit(f"{path}: too short to carry a header and a CRC")
    b[8:16] = len(b).to_bytes(8, 'little')
    b[-4:] = crc32c(bytes(b[:-4])).to_bytes(4, 'little')
    open(path, 'wb').write(b)
