namespace Pdp.Review.Model;

/// <summary>
/// The one use of a human approval by the request it approved (an Envoy retry carrying the decision id):
/// when, under which use id, for which action digest, and the trail record that made it durable. A decision
/// has at most one; the trail's <c>approval_use</c> records rebuild it on restart, so a restart cannot make
/// a used approval usable again.
/// </summary>
public sealed record ApprovalUse(string UseId, DateTimeOffset UsedAt, string ActionDigest, long AuditSeq);
