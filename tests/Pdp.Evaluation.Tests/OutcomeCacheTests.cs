using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Evaluation.Testing;
using Xunit;

namespace Pdp.Evaluation.Tests;

/// <summary>
/// The outcome cache for policies that declare <c>cacheable: true</c>: a hit answers what a fresh evaluation would, such
/// policies never see the per-request facts or the clock (cached or not), and nothing else is ever cached.
/// </summary>
public sealed class OutcomeCacheTests
{
    private static string Cacheable(string id, string body, bool cacheable = true) =>
        $$"""
        export const policy = { id: "{{id}}", owner: "owner-of-{{id}}", approver_group: "reviewers", applies_to: ["*"], cacheable: {{(cacheable ? "true" : "false")}} };
        export function decide(input, data) {
        {{body}}
        }
        """;

    private static EvaluationRequest Request(string target, string decisionId, DateTimeOffset time, JsonObject? context = null)
    {
        var input = InputDocument.Complete(new JsonObject
        {
            ["decision_id"] = decisionId,
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["action"] = new JsonObject { ["type"] = "iam.account.disable", ["target"] = new JsonObject { ["kind"] = "account", ["id"] = target } },
            ["context"] = context ?? [],
        });
        return new EvaluationRequest(input, "iam.account.disable", time);
    }

    [Fact]
    public void RepeatedInput_WithOtherDecisionIdAndTime_IsAHitWithTheSameAnswer()
    {
        var set = TestPolicies.Load(files: [("c.js", Cacheable("c", "return { verdict: input.action.target.id === 'bob' ? 'deny' : 'allow', reason: 'r ' + input.action.target.id };"))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());

        var first = evaluator.Evaluate(Request("bob", "id-1", DateTimeOffset.UnixEpoch.AddDays(1)));
        var second = evaluator.Evaluate(Request("bob", "id-2", DateTimeOffset.UnixEpoch.AddDays(2)));
        var other = evaluator.Evaluate(Request("carol", "id-3", DateTimeOffset.UnixEpoch.AddDays(3)));

        Assert.Equal(Verdict.Deny, first.Verdict);
        Assert.Equal(first.Verdict, second.Verdict);
        Assert.Equal(first.Reasons, second.Reasons);
        Assert.Equal(Verdict.Allow, other.Verdict);
        Assert.Equal("r carol", other.Reasons[0].Message);
        Assert.Equal((1L, 2L), evaluator.CacheCounts);
    }

    [Fact]
    public void CacheablePolicy_SeesNeitherDecisionIdNorTime_CachedOrNot()
    {
        var body = "return { verdict: 'allow', reason: typeof input.time + ' ' + typeof input.decision_id + ' ' + Object.keys(input).join(',') };";
        foreach (var entries in new[] { 0, 100 })
        {
            var set = TestPolicies.Load(files: [("c.js", Cacheable("c", body))]);
            var evaluator = new PolicyEvaluator(set, new EvaluationOptions { OutcomeCacheEntries = entries });

            var decision = evaluator.Evaluate(Request("bob", "id-1", DateTimeOffset.UnixEpoch));

            Assert.StartsWith("undefined undefined ", decision.Reasons[0].Message, StringComparison.Ordinal);
            Assert.DoesNotContain("time", decision.Reasons[0].Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("return { verdict: 'allow', reason: String(Date.now()) };")]
    [InlineData("return { verdict: 'allow', reason: String(new Date()) };")]
    public void CacheablePolicy_ReadingTheClock_FailsClosed_AndIsNotCached(string body)
    {
        var set = TestPolicies.Load(files: [("c.js", Cacheable("c", body))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());

        var first = evaluator.Evaluate(Request("bob", "id-1", DateTimeOffset.UnixEpoch));
        var second = evaluator.Evaluate(Request("bob", "id-2", DateTimeOffset.UnixEpoch));

        Assert.Equal(Verdict.Deny, first.Verdict);
        Assert.Equal(PolicyErrorKind.Exception, first.Outcomes[0].Error);
        Assert.Contains("cacheable", first.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Equal(PolicyErrorKind.Exception, second.Outcomes[0].Error);
        Assert.Equal((0L, 2L), evaluator.CacheCounts);
    }

    [Fact]
    public void OrdinaryPolicy_StillSeesTimeAndClock_AndIsNeverCached()
    {
        var set = TestPolicies.Load(files:
        [
            ("c.js", Cacheable("c", "return undefined;")),
            ("t.js", Cacheable("t", "return { verdict: 'allow', reason: input.time + ' ' + Date.now() };", cacheable: false)),
        ]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());
        var time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var first = evaluator.Evaluate(Request("bob", "id-1", time));
        var second = evaluator.Evaluate(Request("bob", "id-2", time.AddSeconds(1)));

        Assert.Equal($"2026-01-02T03:04:05.000Z {time.ToUnixTimeMilliseconds()}", first.Reasons.Single(r => r.PolicyId == "t").Message);
        Assert.Equal($"2026-01-02T03:04:06.000Z {time.AddSeconds(1).ToUnixTimeMilliseconds()}", second.Reasons.Single(r => r.PolicyId == "t").Message);
        Assert.Equal((1L, 1L), evaluator.CacheCounts); // only c was looked up
    }

    [Fact]
    public void MemberOrder_IsPartOfTheKey_BecausePoliciesCanSeeIt()
    {
        var set = TestPolicies.Load(files: [("c.js", Cacheable("c", "return { verdict: 'allow', reason: Object.keys(input.context).join(',') };"))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());

        var ab = evaluator.Evaluate(Request("bob", "id-1", DateTimeOffset.UnixEpoch, new JsonObject { ["a"] = 1, ["b"] = 2 }));
        var ba = evaluator.Evaluate(Request("bob", "id-2", DateTimeOffset.UnixEpoch, new JsonObject { ["b"] = 2, ["a"] = 1 }));

        Assert.Equal("a,b", ab.Reasons[0].Message);
        Assert.Equal("b,a", ba.Reasons[0].Message);
    }

    [Fact]
    public void ValuesThatLookAlike_AreDifferentKeys()
    {
        var set = TestPolicies.Load(files: [("c.js", Cacheable("c", "return { verdict: 'allow', reason: typeof input.context.v + ':' + String(input.context.v) };"))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());
        JsonNode?[] values = [JsonValue.Create("1"), JsonValue.Create(1), JsonValue.Create(true), JsonValue.Create("true"), null, JsonValue.Create("null"), new JsonArray(1), new JsonObject()];

        var answers = values.Select((v, i) => evaluator.Evaluate(Request("bob", $"id-{i}", DateTimeOffset.UnixEpoch, new JsonObject { ["v"] = v?.DeepClone() })).Reasons[0].Message).ToArray();

        Assert.Equal(["string:1", "number:1", "boolean:true", "string:true", "object:null", "string:null", "object:1", "object:[object Object]"], answers);
    }

    [Fact]
    public void WithoutCacheablePolicies_NothingIsCached()
    {
        var set = TestPolicies.Load(files: [("c.js", Cacheable("c", "return { verdict: 'allow', reason: 'x' };", cacheable: false))]);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());

        evaluator.Evaluate(Request("bob", "id-1", DateTimeOffset.UnixEpoch));
        evaluator.Evaluate(Request("bob", "id-2", DateTimeOffset.UnixEpoch));

        Assert.Equal((0L, 0L), evaluator.CacheCounts);
    }

    [Fact]
    public void OutcomeCacheEntries_OutOfRange_IsRefused()
    {
        Assert.Contains(new EvaluationOptions { OutcomeCacheEntries = -1 }.Validate(), p => p.Contains("OutcomeCacheEntries", StringComparison.Ordinal));
        Assert.DoesNotContain(new EvaluationOptions { OutcomeCacheEntries = 0 }.Validate(), p => p.Contains("OutcomeCacheEntries", StringComparison.Ordinal));
    }
}
