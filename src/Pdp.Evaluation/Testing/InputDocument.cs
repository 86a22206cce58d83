using System.Globalization;
using System.Text.Json.Nodes;

namespace Pdp.Evaluation.Testing;

/// <summary>
/// Completes a partial <c>input</c> document with the defaults the server would fill in (empty strings,
/// zeros, empty objects), so tests, <c>pdp eval</c> and replays see exactly the shape production sees.
/// </summary>
public static class InputDocument
{
    /// <summary>The time used when a test or eval input names none.</summary>
    public static readonly DateTimeOffset DefaultTime = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static JsonObject Complete(JsonObject? partial) => CompleteInPlace(partial?.DeepClone().AsObject() ?? []);

    /// <summary>Fills the defaults into <paramref name="input"/> itself (test and tool inputs; the decision path uses <see cref="Input.InputDefaults"/> directly).</summary>
    public static JsonObject CompleteInPlace(JsonObject input) =>
        Input.InputDefaults.Complete(input, "00000000-0000-7000-8000-000000000000", DefaultTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    public static DateTimeOffset TimeOf(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input["time"] is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : DefaultTime;
    }

    public static string ActionTypeOf(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input["action"]?["type"] is JsonValue value && value.TryGetValue<string>(out var type) ? type : string.Empty;
    }
}
