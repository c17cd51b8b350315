extension Duration {
    /// Whole and fractional seconds, rounded to tenths.
    package var seconds: Double {
        let (s, attoseconds) = components
        return ((Double(s) + Double(attoseconds) / 1e18) * 10).rounded() / 10
    }
}
