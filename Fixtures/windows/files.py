#!/usr/bin/env python3
"""Small files the Windows fixture needs, made from scratch (no Microsoft bits).

  files.py pe OUT                  a PE32+ x86-64 console header: libguestfs
                                   reads a Windows root's architecture off cmd.exe
  files.py evtx OUT RECORDS        an event log (EVTX) whose header says it holds
                                   RECORDS records (file header + one chunk header)
  files.py utf16 OUT TEXT          TEXT as UTF-16LE with a BOM (scripts.ini is)
  files.py reg-parents IN OUT      a .reg file with a section added for every
                                   missing parent key (hivexregedit --merge
                                   creates a key only under an existing parent)
"""
import re
import struct
import sys


def pe_header():
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x80)  # e_lfanew
    # COFF: x86-64, no sections, a 0xF0-byte optional header, executable | large-address-aware
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", 0x8664, 0, 0, 0, 0, 0xF0, 0x0022)
    optional = bytearray(0xF0)
    struct.pack_into("<H", optional, 0, 0x20B)  # PE32+
    struct.pack_into("<H", optional, 68, 3)     # subsystem: Windows console
    return bytes(dos) + coff + bytes(optional) + b"\0" * 0x200


def evtx(records):
    """The EVTX file header (4096 bytes) and one 64 KiB chunk per hundred
    records (their headers only; the records themselves are zeros): a
    cleared log is one chunk, a log with thousands of events is dozens."""
    chunks = max(1, (records + 99) // 100)
    header = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\0", 0, chunks - 1, records + 1, 128, 1, 3, 4096, chunks)
    out = bytes(header)
    for n in range(chunks):
        chunk = bytearray(65536)
        first, last = n * 100 + 1, min(records, (n + 1) * 100)
        struct.pack_into("<8sQQQQ", chunk, 0, b"ElfChnk\0", first, last, first, last)
        out += bytes(chunk)
    return out


def reg_parents(text):
    out, seen = [], set()
    for line in text.splitlines():
        match = re.match(r"^\[(-?)(.+)\]\s*$", line)
        if match and not match.group(1):
            parts = match.group(2).split("\\")
            # HKEY_LOCAL_MACHINE\HIVE is the prefix itself: parents start below it.
            for depth in range(3, len(parts)):
                parent = "\\".join(parts[:depth])
                if parent.lower() not in seen:
                    seen.add(parent.lower())
                    out += ["[" + parent + "]", ""]
            seen.add(match.group(2).lower())
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) >= 2 and argv[0] == "pe":
        open(argv[1], "wb").write(pe_header())
    elif len(argv) == 3 and argv[0] == "evtx":
        open(argv[1], "wb").write(evtx(int(argv[2])))
    elif len(argv) == 3 and argv[0] == "utf16":
        open(argv[1], "wb").write(b"\xff\xfe" + argv[2].replace("\\n", "\r\n").encode("utf-16-le"))
    elif len(argv) == 3 and argv[0] == "reg-parents":
        open(argv[2], "w", encoding="utf-8").write(reg_parents(open(argv[1], encoding="utf-8").read()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
