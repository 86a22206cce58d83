using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Evaluation.Tests;

/// <summary>
/// prepare(data) at evaluation: its result reaches decide as the third argument, deep-frozen, it is computed once per
/// policy set whatever the number of decisions and engines, and helper modules are frozen like policies.
/// </summary>
public sealed class PreparedDataTests
{
    private const string Groups = """{"g": ["Alice ", "bob"]}""";

    private static string Preparing(string decideBody) => $$"""
        export const policy = { id: "p", owner: "o", approver_group: "g", applies_to: ["*"] };
        export function prepare(data) {
          const members = {};
          for (const m of data.groups.g) { members[m.trim().toLowerCase()] = true; }
          return { members, list: ["x"] };
        }
        export function decide(input, data, prepared) {
        {{decideBody}}
        }
        """;

    private static (PolicySet Set, PolicySetLoader Loader) Load(string source, params (string File, string Source)[] libraries)
    {
        var loader = new PolicySetLoader(new SandboxOptions());
        var snapshot = new PolicySourceSnapshot("inline", [new SourceFile("p.js", source)], [new SourceFile("data/groups.json", Groups)], [], [])
        {
            Libraries = [.. libraries.Select(l => new SourceFile(l.File, l.Source))],
        };
        return (loader.Load(snapshot), loader);
    }

    [Fact]
    public void Evaluate_PreparedValue_PassedToDecideAsThirdArgument()
    {
        var (set, _) = Load(Preparing("return Object.hasOwn(prepared.members, input.agent.id) ? { verdict: 'allow', reason: Object.keys(prepared.members).join(',') } : { verdict: 'deny' };"));
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions());

        var member = evaluator.Decide(extra: new JsonObject { ["agent"] = new JsonObject { ["id"] = "alice" } });
        var stranger = evaluator.Decide(extra: new JsonObject { ["agent"] = new JsonObject { ["id"] = "mallory" } });

        Assert.Equal((Verdict.Allow, "alice,bob"), (member.Verdict, member.Reasons[0].Message));
        Assert.Equal(Verdict.Deny, stranger.Verdict);
    }

    [Fact]
    public void Evaluate_ManyDecisionsOnSeveralEngines_PrepareCalledOncePerRevision()
    {
        var (set, loader) = Load(Preparing("return { verdict: 'allow' };"));
        Assert.Equal(1, loader.PrepareCalls);
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 4 });
        evaluator.WarmUp(4);

        Parallel.For(0, 200, _ => Assert.Equal(Verdict.Allow, evaluator.Decide().Verdict));

        Assert.Equal(1, loader.PrepareCalls);

        // A new set (here: replaced data, as a test case does) is a new preparation, once again.
        var replaced = new PolicyEvaluator(set.WithData(new JsonObject { ["groups"] = JsonNode.Parse("""{"g": ["carol"]}""") }), new EvaluationOptions());
        for (var i = 0; i < 20; i++)
        {
            replaced.Decide();
        }

        Assert.Equal(2, loader.PrepareCalls);
    }

    [Theory]
    [InlineData("prepared.members.mallory = true; return { verdict: 'allow' };")]
    [InlineData("prepared.list.push('y'); return { verdict: 'allow' };")]
    [InlineData("delete prepared.members.bob; return { verdict: 'allow' };")]
    [InlineData("Object.defineProperty(prepared, 'extra', { value: 1 }); return { verdict: 'allow' };")]
    [InlineData("Object.setPrototypeOf(prepared.members, null); return { verdict: 'allow' };")]
    [InlineData("prepared.list.length = 0; return { verdict: 'allow' };")]
    public void Evaluate_DecideMutatesPrepared_FailsClosedAndNextDecisionSeesItIntact(string decideBody)
    {
        var (set, _) = Load(Preparing($"if (input.agent.id === 'writer') {{ {decideBody} }}\nreturn {{ verdict: 'allow', reason: Object.keys(prepared.members).join(',') + '/' + prepared.list.length }};"));
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 1 });

        var writer = evaluator.Decide(extra: new JsonObject { ["agent"] = new JsonObject { ["id"] = "writer" } });
        var next = evaluator.Decide();

        Assert.Equal(Verdict.Deny, writer.Verdict);
        Assert.Equal(PolicyErrorKind.Exception, Assert.Single(writer.Outcomes).Error);
        Assert.Equal((Verdict.Allow, "alice,bob/1"), (next.Verdict, next.Reasons[0].Message));
    }

    [Fact]
    public void Evaluate_PolicyWithoutPrepare_ThirdArgumentUndefined()
    {
        var (set, _) = Load(TestPolicies.Module("p", "return { verdict: arguments.length === 3 && arguments[2] === undefined ? 'allow' : 'deny' };"));

        Assert.Equal(Verdict.Allow, new PolicyEvaluator(set, new EvaluationOptions()).Decide().Verdict);
    }

    [Fact]
    public void Evaluate_ReplacedDataBreaksPrepare_PolicyFailsClosedNamingPrepare()
    {
        var (set, _) = Load(Preparing("return { verdict: 'allow' };"));

        var broken = new PolicyEvaluator(set.WithData(new JsonObject { ["groups"] = new JsonObject() }), new EvaluationOptions()).Decide();

        Assert.Equal(Verdict.Deny, broken.Verdict);
        var outcome = Assert.Single(broken.Outcomes);
        Assert.Equal(PolicyErrorKind.Exception, outcome.Error);
        Assert.StartsWith("policy 'p' failed closed: prepare(data) threw", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PolicyUsesHelperModule_SharedFunctionsWork()
    {
        var (set, _) = Load(
            "import { norm } from \"./lib/util.js\";\n" + TestPolicies.Module("p", "return { verdict: norm(input.agent.id) === 'alice' ? 'allow' : 'deny' };"),
            ("lib/util.js", "export function norm(v) { return typeof v === 'string' ? v.trim().toLowerCase() : ''; }"));

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide(extra: new JsonObject { ["agent"] = new JsonObject { ["id"] = " ALICE " } });

        Assert.Equal(Verdict.Allow, decision.Verdict);
    }

    [Theory]
    [InlineData("NAMES.push('x');")]
    [InlineData("TABLE.extra = 1;")]
    [InlineData("util.norm = null;")]
    [InlineData("Object.defineProperty(util, 'added', { value: 1 });")]
    public void Evaluate_DecideMutatesHelperExports_FailsClosedAndHelperStaysIntact(string mutation)
    {
        var (set, _) = Load(
            "import * as util from \"./lib/util.js\";\nimport { NAMES, TABLE } from \"./lib/util.js\";\n"
                + TestPolicies.Module("p", $"if (input.agent.id === 'writer') {{ {mutation} }}\nreturn {{ verdict: 'allow', reason: NAMES.join(',') + Object.keys(TABLE).join(',') + typeof util.norm }};"),
            ("lib/util.js", "export function norm(v) { return v; }\nexport const NAMES = ['a'];\nexport const TABLE = { k: 1 };"));
        var evaluator = new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 1 });

        var writer = evaluator.Decide(extra: new JsonObject { ["agent"] = new JsonObject { ["id"] = "writer" } });
        var next = evaluator.Decide();

        Assert.Equal(Verdict.Deny, writer.Verdict);
        Assert.Equal((Verdict.Allow, "akfunction"), (next.Verdict, next.Reasons[0].Message));
    }
}
