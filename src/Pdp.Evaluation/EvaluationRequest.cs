using System.Text.Json.Nodes;

namespace Pdp.Evaluation;

/// <summary>
/// One input to evaluate. <paramref name="Input"/> is the document policies see as <c>input</c>, already
/// holding the server facts (<c>decision_id</c>, <c>time</c>, <c>caller</c>); <paramref name="Time"/> is
/// what <c>Date.now()</c> answers inside the sandbox.
/// </summary>
public sealed record EvaluationRequest(JsonObject Input, string ActionType, DateTimeOffset Time);
