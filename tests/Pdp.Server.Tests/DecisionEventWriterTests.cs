using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// The decision event written straight to canonical bytes must be byte for byte what the document route writes, or
/// records written now would not verify beside those written before (and a verifier could not recompute them).
/// </summary>
public sealed class DecisionEventWriterTests
{
    private static readonly string[] Keys = ["a", "b", "Z", "_", "é", "ä", "\u00e9t\u00e9", "key with space", "<&>", "\"q\"", "\t", "\ud83d\ude00", "\uffff", "\ue000", "10", "9", "agent", "action"];

    [Fact]
    public void Write_GeneratedDecisions_SameBytesAsTheDocumentRoute()
    {
        var property = Prop.ForAll(Arb.From(DecisionGen()), decision =>
        {
            var (facts, outcomes) = decision;
            var expected = CanonicalJson.Serialize(DecisionEventJson.Write(facts, Outcomes(outcomes)));
            var written = DecisionEventWriter.Write(facts, outcomes);
            return written.Span.SequenceEqual(expected);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void ActionDigest_GeneratedActions_SameDigestAsTheNormalisedDocument()
    {
        var node = Document(3);
        var action = from type in Gen.Elements(Keys)
                     from kind in node
                     from id in node
                     from attributes in node
                     from parameters in Document(3)
                     from hasTarget in ArbMap.Default.GeneratorFor<bool>()
                     select (type, hasTarget ? Target(kind, id, attributes) : null, parameters as JsonObject);
        var property = Prop.ForAll(Arb.From(action), a =>
            ActionDigest.Of(a.type, a.Item2, a.Item3) == ReferenceDigest(a.type, a.Item2, a.Item3));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Theory]
    [InlineData(DecisionVerdict.Allow)]
    [InlineData(DecisionVerdict.Deny)]
    [InlineData(DecisionVerdict.RequireHuman)]
    public void Write_ReadBack_GivesTheSameFacts(DecisionVerdict verdict)
    {
        var facts = Sample(verdict);
        var payload = DecisionEventWriter.Write(facts, [new PolicyVerdictEntry("p", "allow", null)]);

        var read = DecisionEventJson.Read(JsonNode.Parse(payload.Span)!.AsObject());
        AssertSameFacts(facts, read);
        Assert.Equal(verdict, DecisionHead.Read(payload.Span).Verdict);
        Assert.Equal(facts.EscalationGroup, DecisionHead.Read(payload.Span).EscalationGroup);
    }

    [Theory]
    [InlineData(DecisionVerdict.Allow)]
    [InlineData(DecisionVerdict.Deny)]
    [InlineData(DecisionVerdict.RequireHuman)]
    public async Task LocalStore_RecordedDecision_KeepsOnlyItsBytesYetAnswersWithTheFullFacts(DecisionVerdict verdict)
    {
        var ct = TestContext.Current.CancellationToken;
        var facts = Sample(verdict);
        var payload = DecisionEventWriter.Write(facts, []);
        var store = new LocalReviewStore(new NoJournal(), 100);
        await store.AddAsync(facts with { RecordedPayload = payload }, ct);
        store.Restore(DecisionHead.Read(payload.Span), payload);

        var found = await store.FindAsync(facts.DecisionId, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        var decision = Assert.IsType<ReviewView>(found).Decision;
        AssertSameFacts(facts, decision);

        // Read again from the kept bytes, not the document it was given.
        Assert.NotSame(facts.RecordedInput, decision.RecordedInput);
        Assert.True(decision.RecordedPayload.Span.SequenceEqual(payload.Span));
        Assert.Equal(1, store.Count);
        Assert.Equal(verdict == DecisionVerdict.RequireHuman ? 1 : 0, store.PendingCounts().Values.Sum());
    }

    [Theory]
    [InlineData(DecisionVerdict.Allow, "", true)]
    [InlineData(DecisionVerdict.Deny, "", true)]
    [InlineData(DecisionVerdict.RequireHuman, "", false)]
    [InlineData(DecisionVerdict.Allow, "00ff", false)]
    [InlineData(DecisionVerdict.RequireHuman, "00ff", false)]
    public void Write_KeptInOrderOrNot_PackedIntoTheArenaOnlyWhenForgottenInOrder(DecisionVerdict verdict, string requestDigest, bool packed)
    {
        // Only a decision the stores forget in the order made may share a segment: a pending review or a request id in
        // the idempotency window would keep a whole segment alive.
        var facts = Sample(verdict) with { RequestDigest = requestDigest };

        var payload = DecisionEventWriter.Write(facts, []);

        Assert.True(MemoryMarshal.TryGetArray(payload, out var memory));
        Assert.Equal(packed ? PayloadArena.SegmentBytes : payload.Length, memory.Array!.Length);
        Assert.Equal(facts.DecisionId, DecisionHead.Read(payload.Span).DecisionId);
    }

    private static JsonObject Target(JsonNode? kind, JsonNode? id, JsonNode? attributes)
    {
        var target = new JsonObject();
        if (kind is not null)
        {
            target["kind"] = kind;
        }

        if (id is not null)
        {
            target["id"] = id;
        }

        if (attributes is not null)
        {
            target["attributes"] = attributes;
        }

        return target;
    }

    /// <summary>The digest as it was first defined: the canonical JSON of a normalised copy of the action.</summary>
    private static string ReferenceDigest(string type, JsonObject? target, JsonObject? parameters)
    {
        var normalised = new JsonObject
        {
            ["type"] = type,
            ["target"] = new JsonObject
            {
                ["kind"] = target?["kind"]?.DeepClone() ?? string.Empty,
                ["id"] = target?["id"]?.DeepClone() ?? string.Empty,
                ["attributes"] = target?["attributes"]?.DeepClone() ?? new JsonObject(),
            },
            ["parameters"] = parameters?.DeepClone() ?? new JsonObject(),
        };
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(CanonicalJson.Serialize(normalised)));
    }

    private static void AssertSameFacts(DecisionFacts expected, DecisionFacts actual)
    {
        Assert.Equal(expected.DecisionId, actual.DecisionId);
        Assert.Equal(expected.DecidedAt, actual.DecidedAt);
        Assert.Equal(expected.Verdict, actual.Verdict);
        Assert.Equal(expected.Reasons, actual.Reasons);
        Assert.Equal(expected.ControlOwner, actual.ControlOwner);
        Assert.Equal(expected.Obligations.OrderBy(p => p.Key), actual.Obligations.OrderBy(p => p.Key));
        Assert.Equal(expected.PolicyRevision, actual.PolicyRevision);
        Assert.Equal(expected.PolicyId, actual.PolicyId);
        Assert.Equal(expected.ApproverGroup, actual.ApproverGroup);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
        Assert.Equal(expected.EscalationGroup, actual.EscalationGroup);
        Assert.Equal(expected.MinApprovals, actual.MinApprovals);
        Assert.Equal(expected.ActionDigest, actual.ActionDigest);
        Assert.Equal(expected.RequestDigest, actual.RequestDigest);
        Assert.Equal(expected.AgentId, actual.AgentId);
        Assert.True(JsonNode.DeepEquals(expected.RecordedInput, actual.RecordedInput));
    }

    private static DecisionFacts Sample(DecisionVerdict verdict) => new(
        Guid.CreateVersion7().ToString(),
        new DateTimeOffset(2026, 12, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(1234),
        new JsonObject
        {
            ["agent"] = new JsonObject { ["id"] = "triage-bot", ["on_behalf_of"] = "alice@example.com" },
            ["action"] = new JsonObject { ["type"] = "iam.account.disable", ["confidence"] = 0.93, ["target"] = new JsonObject { ["id"] = "bob" } },
            ["request_id"] = "r-1",
        },
        verdict,
        [new DecisionReason("iam", "non-critical account <b>"), new DecisionReason(string.Empty, "no policy")],
        "iam-platform-team",
        new Dictionary<string, string> { ["max_credential_ttl"] = "15m", ["Notify"] = "soc", ["é"] = "x" },
        "rev-1",
        "iam",
        "iam-approvers",
        verdict == DecisionVerdict.RequireHuman ? new DateTimeOffset(2026, 12, 2, 4, 0, 0, 120, TimeSpan.Zero) : null,
        verdict == DecisionVerdict.RequireHuman ? 2 : 1,
        "sha256:abc",
        "00ff")
    {
        EscalationGroup = verdict == DecisionVerdict.RequireHuman ? "iam-leads" : string.Empty,
    };

    private static JsonArray Outcomes(IReadOnlyList<PolicyVerdictEntry> outcomes) =>
        new([.. outcomes.Select(o => (JsonNode)new JsonObject { ["policy_id"] = o.PolicyId, ["verdict"] = o.Verdict, ["error"] = o.Error })]);

    private static Gen<(DecisionFacts, IReadOnlyList<PolicyVerdictEntry>)> DecisionGen()
    {
        var text = Gen.OneOf(Gen.Elements(Keys), ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get), Gen.Constant(string.Empty));
        var input = Document(3).Select(node => node as JsonObject ?? new JsonObject { ["value"] = node });
        var reason = Gen.Zip(text, text).Select(p => new DecisionReason(p.Item1, p.Item2));
        var outcome = from id in text
                      from v in Gen.Elements("allow", "deny", "require_human", "not_applicable")
                      from e in Gen.Elements<string?>(null, "timeout", "exception")
                      select new PolicyVerdictEntry(id, v, e);
        var obligations = Gen.Zip(Gen.Elements(Keys), text).ListOf().Select(list => (IReadOnlyDictionary<string, string>)list.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2));
        var verdict = Gen.Elements(DecisionVerdict.Allow, DecisionVerdict.Deny, DecisionVerdict.RequireHuman);
        var time = Gen.Choose(0, int.MaxValue).Select(n => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(n * 7919L));
        return from doc in input
               from v in verdict
               from reasons in reason.ListOf()
               from duties in obligations
               from a in text
               from b in text
               from c in text
               from decided in time
               from expires in time
               from approvals in Gen.Choose(1, 5)
               from outcomes in outcome.ListOf()
               select (new DecisionFacts(
                   a, decided, doc, v, [.. reasons], b, duties, c, a, b,
                   v == DecisionVerdict.RequireHuman ? expires : null, approvals, "sha256:" + c, a)
               {
                   // Only a review escalates; an escalation group is written (and read) only with one.
                   EscalationGroup = v == DecisionVerdict.RequireHuman ? c : string.Empty,
               },
                   (IReadOnlyList<PolicyVerdictEntry>)[.. outcomes]);
    }

    private static Gen<JsonNode?> Document(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            ArbMap.Default.GeneratorFor<bool>().Select(b => (JsonNode?)JsonValue.Create(b)),
            ArbMap.Default.GeneratorFor<NormalFloat>().Select(d => (JsonNode?)JsonValue.Create(d.Get)),
            ArbMap.Default.GeneratorFor<int>().Select(i => (JsonNode?)JsonValue.Create(i)),
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => (JsonNode?)JsonValue.Create(s.Get)));
        if (depth == 0)
        {
            return scalar;
        }

        var member = Gen.Zip(Gen.OneOf(Gen.Elements(Keys), ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get)), Document(depth - 1));
        var obj = member.ListOf().Select(list =>
        {
            var o = new JsonObject();
            foreach (var (key, value) in list.DistinctBy(p => p.Item1))
            {
                o[key] = value;
            }

            return (JsonNode?)o;
        });
        var array = Document(depth - 1).ListOf().Select(list => (JsonNode?)new JsonArray([.. list]));
        return Gen.Frequency((2, scalar), (2, obj), (1, array));
    }

    private sealed class NoJournal : IReviewJournal
    {
        public ValueTask<long> RecordAsync(DecisionFacts decision, ReviewChange change, CancellationToken cancellationToken) => throw new InvalidOperationException("no change expected");
    }
}
