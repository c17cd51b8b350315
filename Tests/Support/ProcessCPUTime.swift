import Foundation

/// The CPU seconds this process has used, all its threads together: what a
/// test of an algorithm's cost measures. Unlike the wall clock, it does not
/// move with what else the machine runs (`make test` runs two test classes
/// at once, often one of them booting a guest).
public enum ProcessCPUTime {
    public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
