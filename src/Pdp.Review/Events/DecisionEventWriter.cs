using System.Buffers;
using System.Text.Json;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;
using Pdp.Review.Model;

namespace Pdp.Review.Events;

/// <summary>
/// Writes the <c>decision</c> event's payload straight into canonical bytes: members in sorted order, written once
/// by one <see cref="Utf8JsonWriter"/> into a buffer kept per thread, so the decision path builds no document for
/// the trail and the trail serialises nothing again. The bytes are exactly what
/// <see cref="CanonicalJson.Serialize"/> makes of <see cref="DecisionEventJson.Write"/> (the tests compare both
/// over generated decisions), so records written either way read and verify alike.
/// </summary>
public static class DecisionEventWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The canonical payload, in memory of its own that the trail and the review store may keep: packed into
    /// <see cref="PayloadArena.Shared"/> for an allow or deny without a request id (forgotten in the order made, past
    /// the retained count), an array of its own for a decision kept out of that order (a pending review, a request id
    /// in the idempotency window).
    /// </summary>
    public static ReadOnlyMemory<byte> Write(DecisionFacts decision, IReadOnlyList<PolicyVerdictEntry> outcomes)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(outcomes);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, CanonicalJson.WriterOptions);
        writer.Reset(buffer);
        try
        {
            // Members in ordinal order of their names, at every level.
            writer.WriteStartObject();
            writer.WriteString("action_digest"u8, decision.ActionDigest);
            writer.WriteString("approver_group"u8, decision.ApproverGroup);
            writer.WriteString("decided_at"u8, EventTime.Format(decision.DecidedAt));
            writer.WriteString("deciding_policy"u8, decision.PolicyId);
            writer.WriteString("decision_id"u8, decision.DecisionId);
            WriteIfNotEmpty(writer, "escalation_group"u8, decision.EscalationGroup);
            writer.WritePropertyName("input"u8);
            CanonicalJson.Write(writer, decision.RecordedInput, depth: 1);
            writer.WriteStartArray("outcomes"u8);
            foreach (var outcome in outcomes)
            {
                writer.WriteStartObject();
                if (outcome.Error is null)
                {
                    writer.WriteNull("error"u8);
                }
                else
                {
                    writer.WriteString("error"u8, outcome.Error);
                }

                writer.WriteString("policy_id"u8, outcome.PolicyId);
                writer.WriteString("verdict"u8, outcome.Verdict);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("request_digest"u8, decision.RequestDigest);
            writer.WritePropertyName("response"u8);
            WriteResponse(writer, decision);
            writer.WriteEndObject();
            writer.Flush();
            return KeptInOrder(decision) ? PayloadArena.Shared.Copy(buffer.WrittenSpan) : buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > 256 * 1024)
            {
                // One huge input must not pin a huge buffer to this thread for good.
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static bool KeptInOrder(DecisionFacts decision) =>
        decision.Verdict != DecisionVerdict.RequireHuman && decision.RequestDigest.Length == 0;

    /// <summary>The wire response's JSON form, as <see cref="DecisionEventJson"/> builds it: empty strings and lists left out.</summary>
    private static void WriteResponse(Utf8JsonWriter writer, DecisionFacts decision)
    {
        writer.WriteStartObject();
        WriteIfNotEmpty(writer, "control_owner"u8, decision.ControlOwner);
        writer.WriteString("decision_id"u8, decision.DecisionId);
        if (decision.Obligations.Count > 0)
        {
            writer.WriteStartObject("obligations"u8);
            foreach (var (key, value) in Sorted(decision.Obligations))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        WriteIfNotEmpty(writer, "policy_revision"u8, decision.PolicyRevision);
        if (decision.Reasons.Count > 0)
        {
            writer.WriteStartArray("reasons"u8);
            foreach (var reason in decision.Reasons)
            {
                writer.WriteStartObject();
                WriteIfNotEmpty(writer, "message"u8, reason.Message);
                WriteIfNotEmpty(writer, "policy_id"u8, reason.PolicyId);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (decision.Verdict == DecisionVerdict.RequireHuman)
        {
            writer.WriteStartObject("review"u8);
            WriteIfNotEmpty(writer, "approver_group"u8, decision.ApproverGroup);
            if (decision.ExpiresAt is { } expires)
            {
                writer.WriteString("expires_at"u8, EventTime.FormatProtobuf(expires));
            }

            writer.WriteNumber("min_approvals"u8, decision.MinApprovals);
            writer.WriteEndObject();
        }

        writer.WriteString("verdict"u8, DecisionEventJson.VerdictName(decision.Verdict));
        writer.WriteEndObject();
    }

    private static void WriteIfNotEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Sorted(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 1)
        {
            return map;
        }

        var pairs = map.ToArray();
        Array.Sort(pairs, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return pairs;
    }
}
