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

    /// <summary>Fills the defaults into <paramref name="input"/> itself, for a caller that owns the document (the decision path: no copy per decision).</summary>
    public static JsonObject CompleteInPlace(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Default(input, "decision_id", () => "00000000-0000-7000-8000-000000000000");
        Default(input, "time", () => DefaultTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        Default(input, "request_id", () => string.Empty);
        var agent = Object(input, "agent");
        foreach (var key in new[] { "id", "model", "model_version", "session_id", "on_behalf_of" })
        {
            Default(agent, key, () => string.Empty);
        }

        var action = Object(input, "action");
        Default(action, "type", () => string.Empty);
        var target = Object(action, "target");
        Default(target, "kind", () => string.Empty);
        Default(target, "id", () => string.Empty);
        Object(target, "attributes");
        Object(action, "parameters");
        Default(action, "rationale", () => string.Empty);
        Default(action, "confidence", () => 0.0);
        Default(action, "risk_score", () => 0.0);
        Object(input, "context");
        var caller = Object(input, "caller");
        Default(caller, "authenticated", () => false);
        return input;
    }

    /// <summary>The decision time an input names, or <see cref="DefaultTime"/>.</summary>
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

    private static JsonObject Object(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    private static void Default<T>(JsonObject parent, string key, Func<T> value)
    {
        if (!parent.ContainsKey(key))
        {
            parent[key] = JsonValue.Create(value());
        }
    }
}
