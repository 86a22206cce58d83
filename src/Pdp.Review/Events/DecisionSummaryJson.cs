using System.Text.Json;
using Pdp.Review.Model;

namespace Pdp.Review.Events;

/// <summary>The columns the fleet decision log indexes a decision by, read from its stored payload bytes.</summary>
public sealed record DecisionSummary(Guid DecisionId, DateTimeOffset DecidedAt, DecisionVerdict Verdict, string PolicyId);

/// <summary>
/// Reads <see cref="DecisionSummary"/> from a <c>decision</c> payload with one forward pass of <see cref="Utf8JsonReader"/>,
/// skipping the input: shipping a decision must not cost a parse of its whole record into objects.
/// </summary>
public static class DecisionSummaryJson
{
    /// <exception cref="FormatException">The payload lacks a field the log needs.</exception>
    public static DecisionSummary Read(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 256 });
        Guid? id = null;
        DateTimeOffset? at = null;
        string? policy = null, verdict = null;
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("decision_id"u8))
            {
                reader.Read();
                id = Guid.Parse(reader.GetString()!);
            }
            else if (reader.ValueTextEquals("decided_at"u8))
            {
                reader.Read();
                at = EventTime.Parse(reader.GetString()!);
            }
            else if (reader.ValueTextEquals("deciding_policy"u8))
            {
                reader.Read();
                policy = reader.GetString();
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                reader.Read();
                verdict = VerdictOf(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (id is null || at is null || policy is null || verdict is null)
        {
            throw new FormatException("decision payload lacks decision_id, decided_at, deciding_policy or response.verdict");
        }

        return new DecisionSummary(id.Value, at.Value, verdict switch
        {
            "VERDICT_ALLOW" => DecisionVerdict.Allow,
            "VERDICT_REQUIRE_HUMAN" => DecisionVerdict.RequireHuman,
            "VERDICT_DENY" => DecisionVerdict.Deny,
            _ => throw new FormatException($"decision payload has no known verdict ('{verdict}')"),
        }, policy);
    }

    private static string? VerdictOf(ref Utf8JsonReader reader)
    {
        Expect(reader.TokenType == JsonTokenType.StartObject);
        string? verdict = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVerdict = reader.ValueTextEquals("verdict"u8);
            reader.Read();
            if (isVerdict)
            {
                verdict = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return verdict;
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new FormatException("decision payload is not a JSON object");
        }
    }
}
