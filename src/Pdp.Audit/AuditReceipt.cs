namespace Pdp.Audit;

/// <summary>Proof that a record is in the trail: where it sits in the chain and the hash that seals it.</summary>
/// <param name="Seq">Sequence number of the record, 1-based and gap-free across rotated files.</param>
/// <param name="Hash">Lowercase hex SHA-256 of the record; keeping the newest one elsewhere detects truncation of the tail.</param>
/// <param name="Time">The record's <c>time</c>, in UTC with millisecond precision exactly as written.</param>
public sealed record AuditReceipt(long Seq, string Hash, DateTimeOffset Time);
