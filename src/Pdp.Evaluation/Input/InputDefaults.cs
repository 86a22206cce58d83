using System.Text.Json.Nodes;

namespace Pdp.Evaluation.Input;

/// <summary>
/// The shape every policy input has, whatever door the proposal came through: a member a request left out gets its
/// default, so policies never see <c>undefined</c> where the contract promises a field. Filled in place, once, on
/// the decision path; the test runner and the CLI complete partial test inputs through the same code.
/// </summary>
public static class InputDefaults
{
    private static readonly string[] AgentFields = ["id", "model", "model_version", "session_id", "on_behalf_of"];

    /// <summary>The proposal's own members (request id, agent, action, context): what a request can say.</summary>
    public static JsonObject CompleteProposal(JsonObject proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        Default(proposal, "request_id", string.Empty);
        var agent = Object(proposal, "agent");
        foreach (var key in AgentFields)
        {
            Default(agent, key, string.Empty);
        }

        var action = Object(proposal, "action");
        Default(action, "type", string.Empty);
        var target = Object(action, "target");
        Default(target, "kind", string.Empty);
        Default(target, "id", string.Empty);
        Object(target, "attributes");
        Object(action, "parameters");
        Default(action, "rationale", string.Empty);
        Default(action, "confidence", 0.0);
        Default(action, "risk_score", 0.0);
        Object(proposal, "context");
        return proposal;
    }

    /// <summary>A whole input: the proposal's members and the server's (decision id, time, caller) where missing.</summary>
    public static JsonObject Complete(JsonObject input, string decisionId, string time)
    {
        ArgumentNullException.ThrowIfNull(input);
        Default(input, "decision_id", decisionId);
        Default(input, "time", time);
        CompleteProposal(input);
        var caller = Object(input, "caller");
        Default(caller, "authenticated", false);
        return input;
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

    // One overload per kind of default, not a generic JsonValue.Create<T>: that one needs reflection (and is refused
    // by the native AOT analysers); these convert through JsonNode's own implicit operators.
    private static void Default(JsonObject parent, string key, string value)
    {
        if (!parent.ContainsKey(key))
        {
            parent[key] = value;
        }
    }

    private static void Default(JsonObject parent, string key, double value)
    {
        if (!parent.ContainsKey(key))
        {
            parent[key] = value;
        }
    }

    private static void Default(JsonObject parent, string key, bool value)
    {
        if (!parent.ContainsKey(key))
        {
            parent[key] = value;
        }
    }
}
