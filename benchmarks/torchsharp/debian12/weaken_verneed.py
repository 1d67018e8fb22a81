#!/usr/bin/env python3
"""Marks one version requirement of an ELF shared library weak (VER_FLG_WEAK), in place.

    weaken_verneed.py LIB VERSION        e.g. libLibTorchSharp.so GLIBCXX_3.4.32

The dynamic linker refuses to load a library that needs a symbol version its dependency lacks ("version
`GLIBCXX_3.4.32' not found"), unless that requirement is weak. Used by ../../cpu/compare.sh on a copy of TorchSharp's
libLibTorchSharp.so, which needs GCC 13's libstdc++ for a single function that debian12/ios_init_shim.cpp supplies.
"""
import struct, sys

SHT_GNU_VERNEED, VER_FLG_WEAK = 0x6FFFFFFE, 0x2


def main(path, version):
    data = bytearray(open(path, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"{path}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for _, kind, _, _, offset, _, link, count, _, _ in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strings = sections[link][4]
        need = offset
        for _ in range(count):
            _, aux_count, _, aux, next_need = struct.unpack_from("<HHIII", data, need)
            entry = need + aux
            for _ in range(aux_count):
                _, flags, _, name, next_aux = struct.unpack_from("<IHHII", data, entry)
                end = data.index(0, strings + name)
                if data[strings + name:end].decode() == version:
                    struct.pack_into("<H", data, entry + 4, flags | VER_FLG_WEAK)
                    open(path, "wb").write(data)
                    print(f"{path}: {version} marked weak")
                    return
                entry += next_aux
            need += next_need
    sys.exit(f"{path}: no requirement of {version}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
