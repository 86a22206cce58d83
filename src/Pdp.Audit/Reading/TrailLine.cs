namespace Pdp.Audit.Reading;

/// <summary>One record as a follower of the trail reads it: its chain fields, and its payload as the stored canonical JSON bytes.</summary>
/// <param name="Seq">Sequence number in the chain.</param>
/// <param name="Time">When the writer sequenced it.</param>
/// <param name="Type">Record type (<c>decision</c>, <c>disposition</c>, …).</param>
/// <param name="Payload">The payload exactly as stored: canonical JSON, ready to be sent on without parsing.</param>
/// <param name="PrevHash">The previous record's hash.</param>
/// <param name="Hash">This record's hash.</param>
public sealed record TrailLine(long Seq, DateTimeOffset Time, string Type, ReadOnlyMemory<byte> Payload, string PrevHash, string Hash);
