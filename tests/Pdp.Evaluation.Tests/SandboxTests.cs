using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Evaluation.Tests;

/// <summary>Each limit stops a hostile policy, the decision fails closed, and the evaluator keeps working.</summary>
public sealed class SandboxTests
{
    private static readonly SandboxOptions Tight = new()
    {
        TimeoutMilliseconds = 200,
        MaxStatements = 20_000,
        MemoryLimitBytes = 4 * 1024 * 1024,
        MaxRecursionDepth = 32,
        MaxArraySize = 50_000,
    };

    [Theory]
    [InlineData("while (true) {}", PolicyErrorKind.Limit, "statement limit", 20_000)]
    [InlineData("let i = 0; while (true) { i++; }", PolicyErrorKind.Timeout, "CPU time", 100_000_000)]
    [InlineData("for (let i = 0; i < 100000; i++) {}", PolicyErrorKind.Limit, "statement limit", 20_000)]
    [InlineData("const a = []; for (let i = 0; i < 1e7; i++) { a.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + i); }", PolicyErrorKind.Limit, "limit", 100_000_000)]
    [InlineData("function f(n) { return f(n + 1); } return f(0);", PolicyErrorKind.Limit, "recursion limit", 100_000_000)]
    [InlineData("let s = 'x'; for (let i = 0; i < 40; i++) { s = s + s; } return { verdict: 'allow', reason: s };", PolicyErrorKind.Limit, "limit", 100_000_000)]
    public void Evaluate_PolicyBreaksLimit_FailsClosedNamingPolicy(string body, PolicyErrorKind kind, string reason, int maxStatements)
    {
        var sandbox = new SandboxOptions
        {
            TimeoutMilliseconds = Tight.TimeoutMilliseconds,
            MaxStatements = maxStatements,
            MemoryLimitBytes = Tight.MemoryLimitBytes,
            MaxRecursionDepth = Tight.MaxRecursionDepth,
            MaxArraySize = Tight.MaxArraySize,
        };
        var set = TestPolicies.Load(sandbox, files: [("hostile.js", TestPolicies.Module("hostile", body)), ("fine.js", TestPolicies.Module("fine", "return { verdict: 'allow', reason: 'fine' };"))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { Sandbox = sandbox });

        var decision = evaluator.Decide();

        Assert.Equal(Verdict.Deny, decision.Verdict);
        var failed = Assert.Single(decision.Outcomes, o => o.PolicyId == "hostile");
        Assert.Equal(kind, failed.Error);
        Assert.Contains(reason, failed.Reason, StringComparison.Ordinal);
        Assert.Contains("'hostile'", decision.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Equal(Verdict.Allow, Assert.Single(decision.Outcomes, o => o.PolicyId == "fine").Verdict);

        // The evaluator is still usable after the failure: the fine policy alone still answers.
        Assert.Equal(Verdict.Allow, new PolicyEvaluator(TestPolicies.Load(sandbox, files: [("fine.js", TestPolicies.Module("fine", "return { verdict: 'allow' };"))]), new EvaluationOptions { Sandbox = sandbox }).Decide().Verdict);
        Assert.Equal(Verdict.Deny, evaluator.Decide().Verdict);
    }

    [Theory]
    [InlineData("throw new Error('boom');", PolicyErrorKind.Exception, "threw")]
    [InlineData("return input.no.such.field;", PolicyErrorKind.Exception, "threw")]
    [InlineData("return 'allow';", PolicyErrorKind.InvalidResult, "other than an object")]
    [InlineData("return ['allow'];", PolicyErrorKind.InvalidResult, "other than an object")]
    [InlineData("return { verdict: 'ALLOW' };", PolicyErrorKind.InvalidResult, "no verdict")]
    [InlineData("return { verdict: 'allow', extra: 1 };", PolicyErrorKind.InvalidResult, "unknown or computed key")]
    [InlineData("return { verdict: 'allow', reason: 42 };", PolicyErrorKind.InvalidResult, "reason")]
    [InlineData("return { verdict: 'allow', reason: 'x'.repeat(5000) };", PolicyErrorKind.InvalidResult, "reason")]
    [InlineData("return { verdict: 'allow', obligations: { a: {} } };", PolicyErrorKind.InvalidResult, "obligations")]
    [InlineData("return { verdict: 'require_human', min_approvals: 1.5 };", PolicyErrorKind.InvalidResult, "min_approvals")]
    [InlineData("return { verdict: 'require_human', review_ttl: 'soon' };", PolicyErrorKind.InvalidResult, "review_ttl")]
    [InlineData("return { get verdict() { return 'allow'; } };", PolicyErrorKind.InvalidResult, "computed key")]
    public void Evaluate_PolicyThrowsOrReturnsGarbage_FailsClosed(string body, PolicyErrorKind kind, string reason)
    {
        var set = TestPolicies.Load(files: [("bad.js", TestPolicies.Module("bad", body)), ("fine.js", TestPolicies.Module("fine", "return { verdict: 'allow', reason: 'fine' };"))]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide();

        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Equal("bad", decision.DecidingPolicyId);
        Assert.Equal("owner-of-bad", decision.ControlOwner);
        var outcome = Assert.Single(decision.Outcomes, o => o.PolicyId == "bad");
        Assert.Equal(kind, outcome.Error);
        Assert.Contains(reason, outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("globalThis.leak = 1;", "typeof globalThis.leak")]
    [InlineData("Object.prototype.isAdmin = true;", "typeof ({}).isAdmin")]
    [InlineData("Array.prototype.includes = () => true;", "String([].includes.length)")]
    [InlineData("data.groups.reviewers.push('mallory');", "String(data.groups.reviewers.length)")]
    [InlineData("input.action.type = 'changed';", "input.action.type")]
    [InlineData("input.context.injected = 1;", "typeof input.context.injected")]
    [InlineData("SEEN.push(input.decision_id);", "String(SEEN.length)")]
    [InlineData("decide.calls = 1;", "typeof decide.calls")]
    public void Evaluate_PolicyWritesSharedState_NothingLeaksToOtherDecisions(string attack, string probe)
    {
        var writer = $$"""
            export const policy = { id: "a-writer", owner: "o", approver_group: "g", applies_to: ["*"] };
            const SEEN = [];
            export function decide(input, data) { {{attack}} return { verdict: "allow", reason: "wrote" }; }
            """;
        var reader = $$"""
            export const policy = { id: "b-reader", owner: "o", approver_group: "g", applies_to: ["*"] };
            const SEEN = [];
            export function decide(input, data) { return { verdict: "allow", reason: {{probe}} }; }
            """;
        var set = TestPolicies.Load(data: """{ "reviewers": ["alice"] }""", files: [("a.js", writer), ("b.js", reader)]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 1 });

        var first = evaluator.Decide();
        var second = evaluator.Decide();

        // The write itself is refused (the writer fails closed) ...
        Assert.Equal(PolicyErrorKind.Exception, Assert.Single(first.Outcomes, o => o.PolicyId == "a-writer").Error);

        // ... and neither the same decision nor the next one sees any effect of it.
        var expected = Assert.Single(new PolicyEvaluator(TestPolicies.Load(data: """{ "reviewers": ["alice"] }""", files: [("b.js", reader)]), new EvaluationOptions()).Decide().Outcomes).Reason;
        Assert.Equal(expected, Assert.Single(first.Outcomes, o => o.PolicyId == "b-reader").Reason);
        Assert.Equal(expected, Assert.Single(second.Outcomes, o => o.PolicyId == "b-reader").Reason);
    }

    [Fact]
    public void Evaluate_ClockAndRandomness_AreDeterministic()
    {
        var body = "return { verdict: 'allow', reason: String(Date.now()) + '|' + new Date().toISOString() + '|' + typeof Math.random + '|' + typeof Proxy };";
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", body))]);
        var input = new JsonObject { ["time"] = "2026-03-04T05:06:07.008Z" };

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide(extra: input);

        var expectedMs = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 8, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal($"{expectedMs}|2026-03-04T05:06:07.008Z|undefined|undefined", decision.Reasons[0].Message);
    }

    [Theory]
    [InlineData("eval('1')")]
    [InlineData("(() => {}).constructor('return 1')()")]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd')")]
    [InlineData("importScripts('x')")]
    [InlineData("fetch('http://127.0.0.1/')")]
    [InlineData("require('fs')")]
    public void Evaluate_PolicyReachesOutsideTheSandbox_FailsClosed(string expression)
    {
        var source = $$"""
            export const policy = { id: "escape", owner: "o", approver_group: "g", applies_to: ["*"] };
            export function decide(input, data) { const x = {{expression}}; return { verdict: "allow", reason: String(x) }; }
            """;
        var (set, problems) = new Pdp.Policies.Loading.PolicySetLoader(new SandboxOptions()).TryLoad(
            new Pdp.Policies.Loading.PolicySourceSnapshot("inline", [new("escape.js", source)], [], [], []));

        if (set is null)
        {
            // Refused at load is as good as refused at run time.
            Assert.NotEmpty(problems);
            return;
        }

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide();
        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Equal(PolicyErrorKind.Exception, Assert.Single(decision.Outcomes).Error);
    }

    [Fact]
    public void Evaluate_ManyThreads_EachGetsItsOwnCorrectAnswer()
    {
        var body = "return input.action.target.id.endsWith('-allow') ? { verdict: 'allow', reason: input.action.target.id } : { verdict: 'deny', reason: input.action.target.id };";
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", body))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 4 });

        var wrong = 0;
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var id = i % 3 == 0 ? $"t{i}-allow" : $"t{i}-deny";
            var decision = evaluator.Decide(extra: new JsonObject { ["action"] = new JsonObject { ["target"] = new JsonObject { ["id"] = id } } });
            var expected = i % 3 == 0 ? Verdict.Allow : Verdict.Deny;
            if (decision.Verdict != expected || decision.Reasons[0].Message != id)
            {
                Interlocked.Increment(ref wrong);
            }
        });

        Assert.Equal(0, wrong);
    }
}
