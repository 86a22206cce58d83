using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Pdp.Policies.Model;
using Pdp.Server.Errors;

namespace Pdp.Server.Decisions;

/// <summary>
/// Checks a <see cref="DecideRequest"/> and builds the <c>input</c> document policies see, in one pass
/// and straight from the message (no JSON text in between). Every refusal names the field. Every
/// field is present in the document, with proto3 defaults, so policies need no existence checks.
/// </summary>
public sealed class DecisionInputBuilder(int maxStructDepth)
{
    public const int MaxIdLength = 256;
    public const int MaxTextLength = 4096;

    /// <summary>Longest string inside a Struct; a message under the size limit can still carry one value that floods policies and the trail.</summary>
    public const int MaxStructStringLength = 65_536;

    /// <summary>The proposal part of the input (request_id, agent, action, context); <see cref="DecisionMaker"/> adds the server facts.</summary>
    public JsonObject Build(DecideRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var action = request.Action ?? throw new RequestValidationException("action", "is required");
        if (string.IsNullOrEmpty(action.Type))
        {
            throw new RequestValidationException("action.type", "is required");
        }

        if (!ActionType.IsValid(action.Type))
        {
            throw new RequestValidationException("action.type", $"must be dotted lowercase segments such as 'iam.account.disable', at most {ActionType.MaxLength} characters");
        }

        Bounded(request.RequestId, "request_id", 128);
        var agent = request.Agent ?? new Agent();
        var target = action.Target ?? new Target();
        return new JsonObject
        {
            ["request_id"] = request.RequestId,
            ["agent"] = new JsonObject
            {
                ["id"] = Bounded(agent.Id, "agent.id", MaxIdLength),
                ["model"] = Bounded(agent.Model, "agent.model", MaxIdLength),
                ["model_version"] = Bounded(agent.ModelVersion, "agent.model_version", MaxIdLength),
                ["session_id"] = Bounded(agent.SessionId, "agent.session_id", MaxIdLength),
                ["on_behalf_of"] = Bounded(agent.OnBehalfOf, "agent.on_behalf_of", MaxIdLength),
            },
            ["action"] = new JsonObject
            {
                ["type"] = action.Type,
                ["target"] = new JsonObject
                {
                    ["kind"] = Bounded(target.Kind, "action.target.kind", MaxIdLength),
                    ["id"] = Bounded(target.Id, "action.target.id", MaxIdLength),
                    ["attributes"] = Struct(target.Attributes, "action.target.attributes"),
                },
                ["parameters"] = Struct(action.Parameters, "action.parameters"),
                ["rationale"] = Bounded(action.Rationale, "action.rationale", MaxTextLength),
                ["confidence"] = InRange(action.Confidence, "action.confidence", 0, 1),
                ["risk_score"] = InRange(action.RiskScore, "action.risk_score", 0, 100),
            },
            ["context"] = Struct(request.Context, "context"),
        };
    }

    /// <summary>A Struct as JSON, with the same depth and number checks as the request's own Structs.</summary>
    public JsonObject Struct(Struct? value, string field) => value is null ? [] : StructAt(value, field, 1);

    private JsonObject StructAt(Struct value, string path, int depth)
    {
        if (depth > maxStructDepth)
        {
            throw new RequestValidationException(path, $"is nested deeper than {maxStructDepth} levels");
        }

        var result = new JsonObject();
        foreach (var (key, item) in value.Fields)
        {
            result[key] = ValueAt(item, path, key, 0, depth);
        }

        return result;
    }

    /// <summary>
    /// One value at <paramref name="parent"/>.<paramref name="key"/> (or <paramref name="parent"/>[<paramref name="index"/>]
    /// when the key is null). The path text is built only where it is needed — an error, or a container whose members
    /// need it — not for every scalar of every request.
    /// </summary>
    private JsonNode? ValueAt(Value value, string parent, string? key, int index, int depth)
    {
        switch (value.KindCase)
        {
            case Value.KindOneofCase.StringValue:
                return JsonValue.Create(value.StringValue.Length <= MaxStructStringLength ? value.StringValue : Bounded(value.StringValue, PathOf(parent, key, index), MaxStructStringLength));
            case Value.KindOneofCase.BoolValue:
                return JsonValue.Create(value.BoolValue);
            case Value.KindOneofCase.NumberValue:
                if (!double.IsFinite(value.NumberValue))
                {
                    throw new RequestValidationException(PathOf(parent, key, index), "must be a finite number (NaN and infinities have no JSON form)");
                }

                return JsonValue.Create(value.NumberValue);
            case Value.KindOneofCase.StructValue:
                return StructAt(value.StructValue, PathOf(parent, key, index), depth + 1);
            case Value.KindOneofCase.ListValue:
                var path = PathOf(parent, key, index);
                if (depth + 1 > maxStructDepth)
                {
                    throw new RequestValidationException(path, $"is nested deeper than {maxStructDepth} levels");
                }

                var list = new JsonArray();
                var i = 0;
                foreach (var item in value.ListValue.Values)
                {
                    list.Add(ValueAt(item, path, null, i++, depth + 1));
                }

                return list;
            default:
                return null;
        }
    }

    private static string PathOf(string parent, string? key, int index) =>
        key is null ? $"{parent}[{index}]" : $"{parent}.{key}";

    private static string Bounded(string value, string field, int max) =>
        value.Length <= max ? value : throw new RequestValidationException(field, $"is longer than {max} characters");

    private static double InRange(double value, string field, double min, double max) =>
        value >= min && value <= max ? value : throw new RequestValidationException(field, $"must be a number from {min} to {max}");
}
