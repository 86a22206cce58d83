using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Policies.Model;
using Pdp.Server.Decisions;

namespace Pdp.Server.AuthZen;

/// <summary>One of the four AuthZEN entities of an evaluation, and the path that names it in errors.</summary>
internal readonly record struct AuthZenPart(JsonNode? Node, string Path);

/// <summary>
/// Translates between the AuthZEN information model and Pdp's proposal. Request: <c>subject</c> →
/// <c>agent</c> (<c>subject.id</c> → <c>agent.id</c>; <c>subject.properties.on_behalf_of</c>, <c>model</c>,
/// <c>model_version</c>, <c>session_id</c> → the agent fields of those names) and, whole, into
/// <c>context.authzen.subject</c>; <c>action.name</c> → <c>action.type</c>; <c>action.properties</c> →
/// <c>action.parameters</c>; <c>resource</c> → <c>action.target</c> (<c>type</c> → <c>kind</c>, <c>id</c>,
/// <c>properties</c> → <c>attributes</c>); <c>context</c> → <c>context</c>. Answer: <c>decision</c> is true only
/// for allow; <c>context</c> carries the verdict and what a PEP needs to act on it.
/// </summary>
internal sealed class AuthZenMapper(int maxStructDepth)
{
    /// <summary>The subject properties that fill the agent fields of the same name.</summary>
    public static readonly IReadOnlyList<string> AgentProperties = ["on_behalf_of", "model", "model_version", "session_id"];

    /// <summary>The key of <c>context</c> Pdp fills with the AuthZEN-specific facts (any caller value there is replaced).</summary>
    public const string ContextKey = "authzen";

    /// <summary>Checks one evaluation's entities and builds the proposal <see cref="DecisionMaker"/> decides on.</summary>
    public JsonObject ToProposal(AuthZenPart subject, AuthZenPart action, AuthZenPart resource, AuthZenPart context, string? requestId)
    {
        var subjectObject = Entity(subject);
        var subjectType = AuthZenJson.RequiredString(subjectObject, "type", $"{subject.Path}.type", DecisionInputBuilder.MaxIdLength);
        var subjectId = AuthZenJson.RequiredString(subjectObject, "id", $"{subject.Path}.id", DecisionInputBuilder.MaxIdLength);
        var subjectProperties = AuthZenJson.OptionalObject(subjectObject["properties"], $"{subject.Path}.properties", maxStructDepth);
        var agent = new JsonObject { ["id"] = subjectId };
        foreach (var key in AgentProperties)
        {
            agent[key] = AuthZenJson.OptionalString(subjectProperties[key], $"{subject.Path}.properties.{key}", DecisionInputBuilder.MaxIdLength) ?? string.Empty;
        }

        var actionObject = Entity(action);
        var name = AuthZenJson.RequiredString(actionObject, "name", $"{action.Path}.name", ActionType.MaxLength + 1);
        if (!ActionType.IsValid(name))
        {
            throw AuthZenRequestException.BadRequest(
                $"{action.Path}.name",
                $"must be a Pdp action type: dotted lowercase segments such as 'iam.account.disable', at most {ActionType.MaxLength} characters");
        }

        var parameters = AuthZenJson.OptionalObject(actionObject["properties"], $"{action.Path}.properties", maxStructDepth);

        var resourceObject = Entity(resource);
        var target = new JsonObject
        {
            ["kind"] = AuthZenJson.RequiredString(resourceObject, "type", $"{resource.Path}.type", DecisionInputBuilder.MaxIdLength),
            ["id"] = AuthZenJson.RequiredString(resourceObject, "id", $"{resource.Path}.id", DecisionInputBuilder.MaxIdLength),
            ["attributes"] = AuthZenJson.OptionalObject(resourceObject["properties"], $"{resource.Path}.properties", maxStructDepth),
        };

        var contextObject = AuthZenJson.OptionalObject(context.Node, context.Path, maxStructDepth);
        var facts = new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = subjectType, ["id"] = subjectId, ["properties"] = subjectProperties.DeepClone() },
        };
        if (!string.IsNullOrEmpty(requestId))
        {
            facts["request_id"] = requestId;
        }

        contextObject[ContextKey] = facts;
        return new JsonObject
        {
            ["agent"] = agent,
            ["action"] = new JsonObject { ["type"] = name, ["target"] = target, ["parameters"] = parameters },
            ["context"] = contextObject,
        };
    }

    /// <summary>The AuthZEN Decision for a recorded Pdp decision.</summary>
    public static JsonObject ToDecision(DecisionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var response = outcome.Response;
        var verdict = outcome.Decision.Verdict;
        var reasons = new JsonArray();
        foreach (var reason in response.Reasons)
        {
            // As a JsonNode: the generic Add<T> goes through JsonValue.Create<T>, which needs reflection (native AOT).
            reasons.Add((JsonNode)new JsonObject { ["policy_id"] = reason.PolicyId, ["message"] = reason.Message });
        }

        var context = new JsonObject
        {
            ["verdict"] = verdict.ToText(),
            ["decision_id"] = response.DecisionId,
            ["reasons"] = reasons,
            ["control_owner"] = response.ControlOwner,
            ["policy_revision"] = response.PolicyRevision,
        };
        if (response.Obligations.Count > 0)
        {
            var obligations = new JsonObject();
            foreach (var (key, value) in response.Obligations.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                obligations[key] = value;
            }

            context["obligations"] = obligations;
        }

        if (verdict == Verdict.RequireHuman && response.Review is { } review)
        {
            context["approver_group"] = review.ApproverGroup;
            context["expires_at"] = review.ExpiresAt.ToDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            context["min_approvals"] = review.MinApprovals;
        }

        // Only an allow lets the action go forward; deny and require_human both answer false, and the
        // context tells a PEP which it was (and, for a review, whom to ask and until when).
        return new JsonObject { ["decision"] = verdict == Verdict.Allow, ["context"] = context };
    }

    /// <summary>An evaluation that could not be decided: closed, with the error in its context, as the spec's batch errors are.</summary>
    public static JsonObject ToError(int status, string message) => new()
    {
        ["decision"] = false,
        ["context"] = new JsonObject { ["error"] = new JsonObject { ["status"] = status, ["message"] = message } },
    };

    private static JsonObject Entity(AuthZenPart part) => part.Node switch
    {
        null => throw AuthZenRequestException.BadRequest(part.Path, "is required"),
        JsonObject entity => entity,
        _ => throw AuthZenRequestException.BadRequest(part.Path, "must be an object"),
    };
}
