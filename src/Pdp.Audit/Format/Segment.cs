namespace Pdp.Audit.Format;

/// <summary>
/// A rotated file of a trail as a checkpoint lists it: start-up checks every listed segment is still there at its
/// size, and retention knows which ones a checkpoint covers.
/// </summary>
/// <param name="Number">Its rotation number (<c>audit.000003.jsonl</c> is 3).</param>
/// <param name="FirstSeq">Seq of its first record.</param>
/// <param name="LastSeq">Seq of its last record.</param>
/// <param name="Bytes">Its size; rotated files never change.</param>
/// <param name="PrevHash">The hash its first record links to (the last record of the segment before).</param>
internal sealed record Segment(long Number, long FirstSeq, long LastSeq, long Bytes, string PrevHash);
