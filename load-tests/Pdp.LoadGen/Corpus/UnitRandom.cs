namespace Pdp.LoadGen.Corpus;

/// <summary>
/// The random generator of one unit, seeded from the run's seed and the unit's index (SplitMix64), so the same seed
/// gives the same input sequence in every run and in every mode, whichever worker sends a unit.
/// </summary>
internal static class UnitRandom
{
    public static Random For(int seed, long index, int salt = 0)
    {
        var z = unchecked(((ulong)(uint)seed << 32) ^ (ulong)index ^ ((ulong)(uint)salt * 0xD1B54A32D192ED03UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return new Random(unchecked((int)z));
    }
}
