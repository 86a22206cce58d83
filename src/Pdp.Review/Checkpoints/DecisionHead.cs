using System.Text.Json;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Checkpoints;

/// <summary>
/// The few fields of a <c>decision</c> payload the trail state needs, read with a forward-only reader: this runs on
/// the writer's thread for every decision, where building the whole document would cost several times more.
/// </summary>
internal readonly record struct DecisionHead(string DecisionId, DateTimeOffset DecidedAt, DecisionVerdict Verdict, bool HasRequest)
{
    public static DecisionHead Read(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        string id = string.Empty, decidedAt = string.Empty, verdict = string.Empty;
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
                verdict = NonEmptyString(ref reader, "verdict"u8) ?? string.Empty;
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
        return new DecisionHead(id, EventTime.Parse(decidedAt), parsed, requestId && requestDigest);
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
