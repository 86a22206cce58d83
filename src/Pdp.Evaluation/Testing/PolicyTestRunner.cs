using Pdp.Evaluation.Results;
using Pdp.Policies.Model;

namespace Pdp.Evaluation.Testing;

/// <summary>
/// Runs policy test cases against a policy set: each case's input is completed with the production
/// defaults, evaluated by the same <see cref="PolicyEvaluator"/> the server uses (with the case's data
/// documents swapped in when it has any), and the combined decision compared with the expectation.
/// </summary>
public sealed class PolicyTestRunner(PolicySet set, EvaluationOptions options)
{
    private readonly PolicyEvaluator _shared = new(set, options);

    public IReadOnlyList<PolicyTestResult> Run(IEnumerable<PolicyTestCase> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        return cases.Select(RunOne).ToArray();
    }

    public PolicyTestResult RunOne(PolicyTestCase testCase)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var evaluator = testCase.Data is null ? _shared : new PolicyEvaluator(set.WithData(testCase.Data), options);
        var input = InputDocument.Complete(testCase.Input);
        var decision = evaluator.Evaluate(new EvaluationRequest(input, InputDocument.ActionTypeOf(input), InputDocument.TimeOf(input)));
        return new PolicyTestResult(testCase, Compare(testCase.Expect, decision), decision);
    }

    private static List<string> Compare(PolicyTestExpectation expect, Decision actual)
    {
        var failures = new List<string>();
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                failures.Add(what);
            }
        }

        var reasons = string.Join("; ", actual.Reasons.Select(r => $"{r.PolicyId}: {r.Message}"));
        Check(actual.Verdict == expect.Verdict, $"verdict: expected {expect.Verdict.ToText()}, got {actual.Verdict.ToText()} ({reasons})");
        Check(expect.ControlOwner is null || expect.ControlOwner == actual.ControlOwner, $"control_owner: expected {expect.ControlOwner}, got {actual.ControlOwner}");
        Check(expect.PolicyId is null || actual.Reasons.Any(r => r.PolicyId == expect.PolicyId), $"policy_id: expected a reason from {expect.PolicyId}, got {reasons}");
        Check(expect.ReasonContains is null || actual.Reasons.Any(r => r.Message.Contains(expect.ReasonContains, StringComparison.Ordinal)), $"reason_contains: no reason contains '{expect.ReasonContains}' ({reasons})");
        Check(expect.ApproverGroup is null || expect.ApproverGroup == actual.ApproverGroup, $"approver_group: expected {expect.ApproverGroup}, got {actual.ApproverGroup}");
        Check(expect.MinApprovals is null || expect.MinApprovals == actual.MinApprovals, $"min_approvals: expected {expect.MinApprovals}, got {actual.MinApprovals}");
        foreach (var (key, value) in expect.Obligations ?? new Dictionary<string, string>())
        {
            Check(actual.Obligations.TryGetValue(key, out var got) && got == value, $"obligations.{key}: expected {value}, got {(actual.Obligations.TryGetValue(key, out var g) ? g : "nothing")}");
        }

        return failures;
    }
}
