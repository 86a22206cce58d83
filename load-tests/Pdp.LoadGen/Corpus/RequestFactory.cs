using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Action = Pdp.Contracts.V1.Action;

namespace Pdp.LoadGen.Corpus;

/// <summary>Builds <see cref="DecideRequest"/> messages, from a test case's partial input or field by field.</summary>
internal static class RequestFactory
{
    /// <summary>
    /// The request a client would send for a test case's input, or null when the server would refuse it
    /// (out-of-range confidence or risk, a malformed type): a load test counts refusals as errors.
    /// Server facts in the input (<c>time</c>, <c>decision_id</c>, <c>caller</c>) are not sent; the server sets them.
    /// </summary>
    public static DecideRequest? FromInput(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var agent = input["agent"] as JsonObject ?? [];
        var action = input["action"] as JsonObject ?? [];
        var target = action["target"] as JsonObject ?? [];
        var type = Text(action["type"]);
        var confidence = Number(action["confidence"]);
        var risk = Number(action["risk_score"]);
        if (!IsValidType(type) || confidence is < 0 or > 1 || risk is < 0 or > 100)
        {
            return null;
        }

        return new DecideRequest
        {
            Agent = new Agent
            {
                Id = Text(agent["id"]),
                Model = Text(agent["model"]),
                ModelVersion = Text(agent["model_version"]),
                SessionId = Text(agent["session_id"]),
                OnBehalfOf = Text(agent["on_behalf_of"]),
            },
            Action = new Action
            {
                Type = type,
                Target = new Target { Kind = Text(target["kind"]), Id = Text(target["id"]), Attributes = ToStruct(target["attributes"] as JsonObject) },
                Parameters = ToStruct(action["parameters"] as JsonObject),
                Rationale = Text(action["rationale"]),
                Confidence = confidence,
                RiskScore = risk,
            },
            Context = ToStruct(input["context"] as JsonObject),
        };
    }

    public static DecideRequest Build(
        string agentId,
        string onBehalfOf,
        string type,
        string targetKind,
        string targetId,
        double confidence,
        double risk,
        IEnumerable<(string Key, string Value)>? context = null,
        IEnumerable<(string Key, string Value)>? parameters = null,
        IEnumerable<(string Key, string Value)>? attributes = null,
        string rationale = "")
    {
        var request = new DecideRequest
        {
            Agent = new Agent { Id = agentId, Model = "gpt-x", ModelVersion = "2026-10", SessionId = "load", OnBehalfOf = onBehalfOf },
            Action = new Action
            {
                Type = type,
                Target = new Target { Kind = targetKind, Id = targetId, Attributes = Strings(attributes) },
                Parameters = Strings(parameters),
                Rationale = rationale,
                Confidence = confidence,
                RiskScore = risk,
            },
            Context = Strings(context),
        };
        return request;
    }

    /// <summary>Dotted lowercase segments, as the server requires.</summary>
    public static bool IsValidType(string type) =>
        type.Length is > 0 and <= 128
        && type.Split('.').All(s => s.Length > 0 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'));

    private static Struct Strings(IEnumerable<(string Key, string Value)>? fields)
    {
        var result = new Struct();
        foreach (var (key, value) in fields ?? [])
        {
            result.Fields[key] = Value.ForString(value);
        }

        return result;
    }

    private static Struct ToStruct(JsonObject? obj)
    {
        var result = new Struct();
        foreach (var (key, value) in obj ?? [])
        {
            result.Fields[key] = ToValue(value);
        }

        return result;
    }

    private static Value ToValue(JsonNode? node) => node switch
    {
        null => Value.ForNull(),
        JsonObject obj => Value.ForStruct(ToStruct(obj)),
        JsonArray array => Value.ForList([.. array.Select(ToValue)]),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => Value.ForString(value.GetValue<string>()),
            JsonValueKind.Number => Value.ForNumber(value.GetValue<double>()),
            JsonValueKind.True => Value.ForBool(true),
            JsonValueKind.False => Value.ForBool(false),
            _ => Value.ForNull(),
        },
        _ => Value.ForNull(),
    };

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0;
}
