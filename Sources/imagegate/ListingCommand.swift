/// A command that only reads and lists: it starts no reaper, so listing
/// with one state folder never ends what another state folder keeps.
protocol ListingCommand {}
