#!/usr/bin/env python3
"""Writes an empty Windows registry hive (regf format) to the path given.

The fixture build fills it afterwards with hivexregedit --merge; this only
makes the smallest hive hivex will open and extend: a 4096-byte base block
and one 4096-byte hive bin holding the root key (nk), its security
descriptor (sk) and one free cell for the rest of the bin.

Layout, after the regf format as documented (Maxim Suhanov, "Windows
registry file format specification"; all integers little-endian):

  base block (file offset 0)
    0x000 "regf"   0x004 primary sequence   0x008 secondary sequence (equal: clean)
    0x00C last written (FILETIME)   0x014 major 1   0x018 minor 3
    0x01C type 0 (primary)   0x020 format 1   0x024 root cell offset
    0x028 hive bins data size   0x02C clustering factor 1
    0x030 file name (64 bytes of UTF-16LE)
    0x1FC checksum: XOR of the 127 dwords before it (0 -> 1, 0xFFFFFFFF -> 0xFFFFFFFE)
  hive bin (file offset 0x1000; cell offsets count from here)
    0x00 "hbin"   0x04 offset of this bin (0)   0x08 size (4096)   0x14 timestamp
    0x20 cells: a 4-byte size (negative: in use), then the cell's data;
         sizes include the 4 bytes and are multiples of 8.

  python3 empty-hive.py OUT [ROOT-NAME]
"""
import struct
import sys

BASE_BLOCK = 4096
BIN_SIZE = 4096
BIN_HEADER = 0x20
NO_CELL = 0xFFFFFFFF
# 2026-01-01 as a FILETIME (100 ns since 1601): fixed, so builds are reproducible.
TIMESTAMP = 134116128000000000


def align8(n):
    return (n + 7) & ~7


def cell(data):
    """A used cell: negative size, then data, padded to a multiple of 8."""
    size = align8(4 + len(data))
    return struct.pack("<i", -size) + data + b"\0" * (size - 4 - len(data))


def key_node(name, security_offset):
    """The root key: KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME (ASCII name)."""
    flags = 0x0004 | 0x0008 | 0x0020
    encoded = name.encode("ascii")
    return b"nk" + struct.pack(
        "<HQ" + "I" * 15 + "HH",
        flags, TIMESTAMP,
        0,                   # access bits
        0,                   # parent (none for the root)
        0, 0,                # subkeys, volatile subkeys
        NO_CELL, NO_CELL,    # their lists
        0, NO_CELL,          # values and their list
        security_offset,
        NO_CELL,             # class name
        0, 0, 0, 0,          # largest subkey name, class name, value name, value data
        0,                   # work var
        len(encoded), 0,     # key name length, class name length
    ) + encoded


def security_node(own_offset):
    """One security descriptor, referenced once, linked to itself: a
    self-relative descriptor with no owner, group or ACLs."""
    descriptor = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    return b"sk" + struct.pack("<HIIII", 0, own_offset, own_offset, 1, len(descriptor)) + descriptor


def checksum(header):
    value = 0
    for (dword,) in struct.iter_unpack("<I", header[:0x1FC]):
        value ^= dword
    return {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(value, value)


def empty_hive(root_name="ROOT", file_name="imagegate-fixture"):
    nk_offset = BIN_HEADER
    nk_size = align8(4 + len(key_node(root_name, 0)))
    sk_offset = nk_offset + nk_size
    cells = cell(key_node(root_name, sk_offset)) + cell(security_node(sk_offset))
    free = BIN_SIZE - BIN_HEADER - len(cells)
    cells += struct.pack("<i", free) + b"\0" * (free - 4)
    hbin = b"hbin" + struct.pack("<IIQQI", 0, BIN_SIZE, 0, TIMESTAMP, 0) + cells
    assert len(hbin) == BIN_SIZE

    header = bytearray(BASE_BLOCK)
    struct.pack_into("<4sIIQIIIIIII", header, 0, b"regf", 1, 1, TIMESTAMP, 1, 3, 0, 1, nk_offset, BIN_SIZE, 1)
    name = file_name.encode("utf-16-le")[:64]
    header[0x30:0x30 + len(name)] = name
    struct.pack_into("<I", header, 0x1FC, checksum(bytes(header)))
    return bytes(header) + hbin


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: empty-hive.py OUT [ROOT-NAME]")
    with open(sys.argv[1], "wb") as out:
        out.write(empty_hive(*sys.argv[2:3]))
