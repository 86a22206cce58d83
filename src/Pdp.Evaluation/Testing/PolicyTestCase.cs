using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;

namespace Pdp.Evaluation.Testing;

/// <summary>What a case expects of the combined decision. Only <see cref="Verdict"/> is required.</summary>
public sealed record PolicyTestExpectation(
    Verdict Verdict,
    string? ControlOwner,
    string? PolicyId,
    string? ReasonContains,
    string? ApproverGroup,
    int? MinApprovals,
    IReadOnlyDictionary<string, string>? Obligations);

/// <summary>One case of a <c>*.test.json</c> file: an input, optional data documents to replace, an expectation.</summary>
public sealed record PolicyTestCase(string File, int Line, string Name, JsonObject Input, JsonObject? Data, PolicyTestExpectation Expect);

/// <summary>The outcome of one case; <see cref="Failures"/> says what differed.</summary>
public sealed record PolicyTestResult(PolicyTestCase Case, IReadOnlyList<string> Failures, Decision? Decision)
{
    public bool Passed => Failures.Count == 0;
}
