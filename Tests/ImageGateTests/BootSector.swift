import Foundation

/// A tiny guest: a disk whose boot sector writes `message` to ttyS0 (COM1)
/// and halts. SeaBIOS starts it in a second; nothing else runs.
enum BootSector {
    /// xor ax,ax; mov ds,ax; cld; mov si,MSG; mov dx,0x3f8;
    /// next: lodsb; test al,al; jz done; out dx,al; jmp next;
    /// done: cli; hlt; jmp $-1 — then the message, NUL-ended.
    static func disk(printing message: String, at path: String, bytes: Int = 16 << 20) throws {
        let code: [UInt8] = [0x31, 0xC0, 0x8E, 0xD8, 0xFC, 0xBE, 0x17, 0x7C, 0xBA, 0xF8, 0x03,
                             0xAC, 0x84, 0xC0, 0x74, 0x03, 0xEE, 0xEB, 0xF8, 0xFA, 0xF4, 0xEB, 0xFD]
        let text = Array(message.utf8) + [0]
        precondition(code.count + text.count <= 510, "the message does not fit in the boot sector")
        var sector = code + text
        sector += [UInt8](repeating: 0, count: 510 - sector.count) + [0x55, 0xAA]
        try Data(sector + [UInt8](repeating: 0, count: bytes - 512)).write(to: URL(fileURLWithPath: path))
    }
}
