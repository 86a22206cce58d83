using System.Text.Json;
using Pdp.Review.Model;

namespace Pdp.Review.Events;

/// <summary>
/// The few fields of a <c>decision</c> payload that start-up and the trail state need, read with a forward-only
/// reader: this runs on the writer's thread for every decision and at start-up for every kept one, where building
/// the whole document would cost several times more.
/// </summary>
/// <param name="DecisionId">The decision.</param>
/// <param name="DecidedAt">When it was made.</param>
/// <param name="Verdict">Its verdict.</param>
/// <param name="HasRequest">Whether it carries a request id and digest (the idempotency window may need it).</param>
/// <param name="PolicyId">The deciding policy.</param>
/// <param name="ApproverGroup">Who may review it.</param>
/// <param name="ExpiresAt">When its review expires (require-human only).</param>
/// <param name="EscalationGroup">Who its review escalates to (require-human only; empty: nobody).</param>
public readonly record struct DecisionHead(string DecisionId, DateTimeOffset DecidedAt, DecisionVerdict Verdict, bool HasRequest, string PolicyId, string ApproverGroup, DateTimeOffset? ExpiresAt, string EscalationGroup = "")
{
    /// <summary>Reads the head of a canonical <c>decision</c> payload.</summary>
    /// <exception cref="FormatException">The payload has no known verdict.</exception>
    public static DecisionHead Read(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        string id = string.Empty, decidedAt = string.Empty, verdict = string.Empty, policy = string.Empty, group = string.Empty, escalation = string.Empty;
        string? expires = null;
        var requestId = false;
        var requestDigest = false;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("decision_id"u8))
            {
                reader.Read();
                id = reader.GetString() ?? string.Empty;
            }
            else if (reader.ValueTextEquals("decided_at"u8))
            {
                reader.Read();
                decidedAt = reader.GetString() ?? string.Empty;
            }
            else if (reader.ValueTextEquals("deciding_policy"u8))
            {
                reader.Read();
                policy = reader.GetString() ?? string.Empty;
            }
            else if (reader.ValueTextEquals("approver_group"u8))
            {
                reader.Read();
                group = reader.GetString() ?? string.Empty;
            }
            else if (reader.ValueTextEquals("escalation_group"u8))
            {
                reader.Read();
                escalation = reader.GetString() ?? string.Empty;
            }
            else if (reader.ValueTextEquals("request_digest"u8))
            {
                reader.Read();
                requestDigest = reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0;
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                requestId = NonEmptyString(ref reader, "request_id"u8) is { Length: > 0 };
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                reader.Read();
                (verdict, expires) = VerdictAndExpiry(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        var parsed = verdict switch
        {
            "VERDICT_ALLOW" => DecisionVerdict.Allow,
            "VERDICT_REQUIRE_HUMAN" => DecisionVerdict.RequireHuman,
            "VERDICT_DENY" => DecisionVerdict.Deny,
            _ => throw new FormatException($"decision record has no known verdict ('{verdict}')"),
        };
        var expiresAt = parsed == DecisionVerdict.RequireHuman && expires is { Length: > 0 } ? EventTime.Parse(expires) : (DateTimeOffset?)null;
        return new DecisionHead(id, EventTime.Parse(decidedAt), parsed, requestId && requestDigest, policy, group, expiresAt, parsed == DecisionVerdict.RequireHuman ? escalation : string.Empty);
    }

    /// <summary>The response's verdict and its review's expiry, leaving the reader at the response's end.</summary>
    private static (string Verdict, string? ExpiresAt) VerdictAndExpiry(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (string.Empty, null);
        }

        var verdict = string.Empty;
        string? expires = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("verdict"u8))
            {
                reader.Read();
                verdict = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? string.Empty : string.Empty;
            }
            else if (reader.ValueTextEquals("review"u8))
            {
                reader.Read();
                expires = NonEmptyString(ref reader, "expires_at"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (verdict, expires);
    }

    /// <summary>The string member <paramref name="name"/> of the object the reader is at, leaving the reader at its end.</summary>
    private static string? NonEmptyString(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.String)
            {
                found = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }
}
