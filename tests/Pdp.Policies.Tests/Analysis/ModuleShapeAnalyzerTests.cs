using Acornima;
using Acornima.Ast;
using Jint;
using Pdp.Policies.Analysis;
using Xunit;

namespace Pdp.Policies.Tests.Analysis;

public sealed class ModuleShapeAnalyzerTests
{
    private const string IamChangesPolicy = """
        export const policy = { id: "iam-changes", owner: "iam-team", applies_to: ["iam.*"] };
        const CRITICAL = ["root", "admin"];
        function isCritical(id, data) { const list = data.critical_assets?.accounts ?? []; return list.includes(id) || CRITICAL.includes(id); }
        export function decide(input, data) {
          let score = input.action.risk_score;
          for (const p of Object.keys(input.action.parameters)) { score += 1; }
          let i = 0; i++; const [a, b] = [1, 2]; let c; ({ c } = { c: 3 });
          try { score += 1; } catch (e) { e = null; }
          const f = (x) => { let y = x; y += 1; return y; };
          if (isCritical(input.action.target.id, data)) return { verdict: "require_human", reason: "critical", min_approvals: 2 };
          return score > 80 ? { verdict: "deny", reason: "risky" } : undefined;
        }
        """;

    private const string KitchenSinkPolicy = """
        "use strict";
        export const policy = { id: "kitchen-sink", owner: "platform", applies_to: ["*"] };
        const { thresholds: { deny: DENY_AT = 90 } = {}, ...rest } = { thresholds: { deny: 80 } };
        const weights = Object.freeze({ read: 1, write: 5 });
        class Scorer {
          static base = 10;
          factor = 2;
          static { const local = 1; let tmp = local; tmp += 1; }
          constructor(weights) { this.weights = weights; let n = 0; n++; }
          score(action) { let total = Scorer.base; for (const k in action) { total += this.weights[k] ?? 0; } return total * this.factor; }
          get name() { let label = "scorer"; label += "!"; return label; }
        }
        const helpers = {
          clamp(value, lo = 0, hi = 100) { if (value < lo) { value = lo; } if (value > hi) value = hi; return value; },
          sum: (list) => { let s = 0; for (const v of list) s += v; return s; },
          describe: function (x) { var out; out = String(x); return out; },
        };
        export function decide(input, data) {
          var hoisted;
          hoisted = 1;
          later = 2;
          var later;
          let [first = 0, , ...others] = input.list ?? [];
          first = others.length;
          const obj = {};
          obj.count = 1;
          input.scratch.value = 2;
          let key;
          for (key in input) { }
          let item;
          for ([item] of [[1]]) { }
          for (let j = 0, k = 1; j < 3; j++, k--) { }
          switch (input.kind) { case "a": { let z = 1; z = 2; break; } case "b": let w; w = 3; break; default: break; }
          label: for (const x of [1]) { if (x) break label; else continue label; }
          function helper(v) { v = v ?? 0; return v; }
          class Local { m() { let q = 1; q **= 2; return q; } }
          Local.prototype.extra = 1;
          new Local().m();
          const s = new Scorer(weights);
          hoisted ||= helpers.clamp(s.score(input.action), 0, DENY_AT);
          return hoisted > DENY_AT ? { verdict: "deny", reason: `score ${hoisted}` } : undefined;
        }
        export default decide;
        ;
        """;

    [Fact]
    public void Analyze_NullModule_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => ModuleShapeAnalyzer.Analyze(null!));
    }

    [Fact]
    public void Analyze_PreparedModule_ExposesAst()
    {
        var prepared = Engine.PrepareModule(IamChangesPolicy, "test.js");

        var module = Assert.IsType<Acornima.Ast.Module>(prepared.Program);
        Assert.True(ModuleShapeAnalyzer.Analyze(module).IsValid);
    }

    [Theory]
    [InlineData("let counter = 0;", "module-level 'let' is not allowed: policies are stateless; use const", 1, 1)]
    [InlineData("const a = 1;\nvar b = 2;", "module-level 'var' is not allowed: policies are stateless; use const", 2, 1)]
    [InlineData("export let x = 1;", "module-level 'let' is not allowed", 1, 8)]
    [InlineData("const a = 1;\n  var b = a;", "module-level 'var' is not allowed", 2, 3)]
    [InlineData("using r = null;", "module-level 'using' is not allowed", 1, 1)]
    [InlineData("import json from \"./lib/x.json\" with { type: \"json\" };", "import attributes", 1, 1)]
    [InlineData("import defer * as lib from \"./lib/x.js\";", "'import defer' and 'import source' are not allowed", 1, 1)]
    [InlineData("const a = 1;\nexport { helper } from \"./lib/other.js\";", "re-exports ('export … from') are not allowed", 2, 1)]
    [InlineData("export * from \"./lib/other.js\";", "re-exports ('export … from') are not allowed", 1, 1)]
    [InlineData("export function f() { return import(\"./lib/x.js\"); }", "dynamic import() is not available in the policy sandbox", 1, 30)]
    [InlineData("export function f() { return import.meta.url; }", "'import.meta' is not available in the policy sandbox", 1, 30)]
    [InlineData("const a = [];\na.push(1);", "top-level statements other than declarations are not allowed", 2, 1)]
    [InlineData("if (true) { }", "top-level statements other than declarations are not allowed", 1, 1)]
    [InlineData("for (const x of []) { }", "top-level statements other than declarations are not allowed", 1, 1)]
    [InlineData("function f() {}\n{ const x = 1; }", "top-level statements other than declarations are not allowed", 2, 1)]
    [InlineData("await null;", "top-level statements other than declarations are not allowed", 1, 1)]
    [InlineData("const a = (b = 1);", "'b' is assigned at module top level", 1, 12)]
    [InlineData("function f(s) { return eval(s); }", "eval() is not allowed in the policy sandbox", 1, 24)]
    [InlineData("function f(s) { return globalThis.eval(s); }", "eval() is not allowed in the policy sandbox", 1, 24)]
    [InlineData("function f(s) { const e = eval; return e(s); }", "'eval' may not be referenced in the policy sandbox", 1, 27)]
    [InlineData("function f() { return new Function(\"return 1\"); }", "the Function constructor", 1, 23)]
    [InlineData("const g = Function(\"return this\");", "the Function constructor", 1, 11)]
    [InlineData("function f() { const F = Function; return F; }", "'Function' may not be referenced", 1, 26)]
    [InlineData("function f() {\n  debugger;\n}", "'debugger' statements are not allowed", 2, 3)]
    [InlineData("function* gen() { yield 1; }", "generator function 'gen' is not allowed", 1, 1)]
    [InlineData("const o = { *items() { yield 1; } };", "generator function 'items' is not allowed", 1, 13)]
    [InlineData("export async function decide() { }", "async function 'decide' is not allowed: the policy sandbox is synchronous", 1, 8)]
    [InlineData("const f = async () => 1;", "async function 'f' is not allowed", 1, 11)]
    [InlineData("class C { async m() { } }", "async function 'm' is not allowed", 1, 11)]
    [InlineData("const v = await Promise.resolve(1);", "'await' is not allowed: the policy sandbox is synchronous", 1, 11)]
    public void Analyze_RefusedConstruct_ReportsProblemAtLocation(string source, string expectedMessage, int line, int column)
    {
        var report = Analyze(source);

        var problem = Assert.Single(report.Problems);
        Assert.Contains(expectedMessage, problem.Message, StringComparison.Ordinal);
        Assert.Equal(line, problem.Line);
        Assert.Equal(column, problem.Column);
        Assert.False(report.IsValid);
    }

    [Theory]
    // Compound, logical and update assignments to a module-level or undeclared name.
    [InlineData("export function decide(input) {\n  count += 1;\n}", "count", "decide", 2, 3)]
    [InlineData("const seen = [];\nexport function decide(input) { seen = [input]; }", "seen", "decide", 2, 33)]
    [InlineData("function f() { cache ??= {}; }", "cache", "f", 1, 16)]
    [InlineData("function f() { hits++; }", "hits", "f", 1, 16)]
    [InlineData("function f() { --left; }", "left", "f", 1, 18)]
    [InlineData("function f() { undeclared = 1; }", "undeclared", "f", 1, 16)]
    [InlineData("function f() { f = null; }", "f", "f", 1, 16)]
    // Destructuring assignment targets, including nested, defaulted and rest elements.
    [InlineData("function f() {\n  let a;\n  [a, total] = [1, 2];\n}", "total", "f", 3, 7)]
    [InlineData("function f() { ({ x } = {}); }", "x", "f", 1, 19)]
    [InlineData("function f() { let a; ({ a, b: { c = 1 } } = {}); }", "c", "f", 1, 34)]
    [InlineData("function f() { [...rest] = []; }", "rest", "f", 1, 20)]
    // for-in / for-of without a declaration.
    [InlineData("function f(list) {\n  for (item of list) { }\n}", "item", "f", 2, 8)]
    [InlineData("function f(o) { for (key in o) { } }", "key", "f", 1, 22)]
    [InlineData("function f(o) { for ([k] of o) { } }", "k", "f", 1, 23)]
    // Closures: inner functions assigning a variable of the enclosing function.
    [InlineData("export function decide(input) {\n  let n = 0;\n  const bump = () => { n++; };\n  bump();\n  return n;\n}", "n", "bump", 3, 24)]
    [InlineData("function outer() { let x = 0; function inner() { x = 2; } return inner; }", "x", "inner", 1, 50)]
    [InlineData("function outer() {\n  let x = 0;\n  return function inner() { { let x; } x = 1; };\n}", "x", "inner", 3, 40)]
    [InlineData("function outer(x) { return [1].map(function () { x = 1; }); }", "x", "<anonymous>", 1, 50)]
    [InlineData("function outer() { let t; return (a = (t = 1)) => a; }", "t", "<anonymous>", 1, 40)]
    [InlineData("function outer() { let x; try { } catch (e) { const g = () => { e = x; }; } }", "e", "g", 1, 65)]
    // Methods, accessors, class field initialisers and static blocks are functions too.
    [InlineData("export const handlers = { decide(input) { hits = 1; } };", "hits", "decide", 1, 43)]
    [InlineData("const o = { get v() { cache = 1; return 1; } };", "cache", "v", 1, 23)]
    [InlineData("const o = { set v(x) { last = x; } };", "last", "v", 1, 24)]
    [InlineData("class C { count = (total = 1); }", "total", "count", 1, 20)]
    [InlineData("class C { static { shared = 1; } }", "shared", "<static block>", 1, 20)]
    [InlineData("class C { m() { C = null; } }", "C", "m", 1, 17)]
    [InlineData("export default function () { x = 1; }", "x", "default", 1, 30)]
    [InlineData("export default (y) => { z = y; };", "z", "default", 1, 25)]
    public void Analyze_AssignmentToOuterVariable_ReportsFunctionAndLocation(string source, string variable, string function, int line, int column)
    {
        var report = Analyze(source);

        var problem = Assert.Single(report.Problems);
        Assert.Equal(
            $"'{variable}' is assigned in function '{function}' but declared outside it: a policy function may only assign variables it declares",
            problem.Message);
        Assert.Equal(line, problem.Line);
        Assert.Equal(column, problem.Column);
    }

    [Fact]
    public void Analyze_WithStatement_IsRefused()
    {
        // Module code is strict, so Jint/Acornima refuse `with` while parsing already; a tolerant parse
        // still produces the node, which the analyzer refuses on its own as well.
        Assert.ThrowsAny<Exception>(() => Engine.PrepareModule("function f(o) { with (o) { } }", "test.js"));
        var module = new Parser(new ParserOptions { Tolerant = true }).ParseModule("function f(o) {\n  with (o) { x = 1; }\n}");

        var report = ModuleShapeAnalyzer.Analyze(module);

        Assert.Collection(
            report.Problems,
            p => Assert.Equal((2, 3, "'with' statements are not allowed in policies"), (p.Line, p.Column, p.Message)),
            p => Assert.Equal((2, 14), (p.Line, p.Column)));
    }

    [Fact]
    public void Analyze_StaticImports_AcceptedAndListedForTheLoader()
    {
        var report = Analyze("import { norm, list as items } from \"./lib/util.js\";\nimport * as more from \"./lib/more.js\";\nexport function decide() { return norm(items(more)); }");

        Assert.True(report.IsValid);
        Assert.Collection(
            report.Imports,
            i => Assert.Equal(("./lib/util.js", 1, 1, "norm,items"), (i.Specifier, i.Line, i.Column, string.Join(',', i.LocalNames))),
            i => Assert.Equal(("./lib/more.js", 2, 1, "more"), (i.Specifier, i.Line, i.Column, string.Join(',', i.LocalNames))));
    }

    [Fact]
    public void Analyze_AssignmentToImportedName_Refused()
    {
        var report = Analyze("import { norm } from \"./lib/util.js\";\nexport function decide() { norm = null; }");

        var problem = Assert.Single(report.Problems);
        Assert.Contains("'norm' is assigned in function 'decide' but declared outside it", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_SeveralProblems_ReportsAllInSourceOrder()
    {
        var report = Analyze("let a = 1;\nfunction f() { b = 2; debugger; }\nexport * from \"./c.js\";");

        Assert.Equal(
            [(1, 1), (2, 16), (2, 23), (3, 1)],
            report.Problems.Select(p => (p.Line, p.Column)));
    }

    [Theory]
    [InlineData(IamChangesPolicy)]
    [InlineData(KitchenSinkPolicy)]
    // Shadowing: an inner function declaring its own `x` may assign it even when an outer `x` exists.
    [InlineData("const x = 1;\nexport function decide() { let x = 0; x = 2; return x; }")]
    [InlineData("function outer() { let x = 0; function inner() { let x = 1; x++; return x; } return inner() + x; }")]
    [InlineData("function outer() { let x = 0; const inner = (x) => { x = 5; return x; }; return inner(x); }")]
    [InlineData("function outer() { let x = 0; return function () { { let x; x = 1; } }; }")]
    [InlineData("function outer() { let e; try { } catch (e) { e = 1; } return e; }")]
    // Hoisting: var and nested declarations count wherever they are in the function body.
    [InlineData("function f() { x = 1; var x; return x; }")]
    [InlineData("function f() { if (true) { var x; } x = 1; return x; }")]
    [InlineData("function f() { g = null; function g() { } return g; }")]
    [InlineData("function f({ a, b: [c = 1] }, d = a, ...rest) { a = 1; c = 2; d = 3; rest = []; return a + c + d; }")]
    [InlineData("function f() { try { } catch ({ message }) { message = \"\"; } }")]
    [InlineData("function f(o) { for (var k in o) { k = \"\"; } k = null; }")]
    // Member assignments are left to the runtime freeze.
    [InlineData("const state = {};\nexport function decide(input) { state.count = 1; input.x = 2; globalThis.y = 3; }")]
    // Identifiers that are not references to eval/Function.
    [InlineData("export function decide(input) { return input.eval ?? input.Function ?? { eval: 1, Function: 2 }.eval; }")]
    [InlineData("export default { id: \"p\", decide: (input) => ({ verdict: input.ok ? \"allow\" : \"deny\" }) };")]
    [InlineData("const decide = () => undefined;\nexport { decide, decide as default };")]
    public void Analyze_ValidPolicy_HasNoProblems(string source)
    {
        var report = Analyze(source);

        Assert.Empty(report.Problems);
        Assert.True(report.IsValid);
    }

    [Fact]
    public void Analyze_SampleModule_CollectsTopLevelBindings()
    {
        const string source = """
            const A = 1;
            export const { b, c: [d, ...e], f: g = 2 } = { b: 1, c: [2, 3] };
            function helper() { }
            export function decide() { }
            class Rule { }
            export class Other { }
            const h = 1, i = 2;
            export { A as alias };
            export default class Main { }
            """;

        var report = Analyze(source);

        Assert.Empty(report.Problems);
        Assert.Equal(["A", "b", "d", "e", "g", "helper", "decide", "Rule", "Other", "h", "i", "Main"], report.TopLevelBindings);
        Assert.True(report.HasDefaultExport);
    }

    [Theory]
    [InlineData("export function decide() { }", false)]
    [InlineData("export default function decide() { }", true)]
    [InlineData("export default function () { }", true)]
    [InlineData("export default { decide() { } };", true)]
    [InlineData("function decide() { }\nexport { decide as default };", true)]
    [InlineData("function decide() { }\nexport { decide as \"default\" };", true)]
    public void Analyze_DefaultExport_IsDetected(string source, bool expected)
    {
        Assert.Equal(expected, Analyze(source).HasDefaultExport);
    }

    [Fact]
    public void Analyze_DefaultExportOfNamedFunction_ListsItsName()
    {
        var report = Analyze("export default function decide() { }\nconst x = 1;");

        Assert.Equal(["decide", "x"], report.TopLevelBindings);
    }

    [Fact]
    public void Analyze_RefusedLetAndVar_AreNotListedAsBindings()
    {
        var report = Analyze("let a = 1;\nvar b = 2;\nconst c = 3;");

        Assert.Equal(["c"], report.TopLevelBindings);
        Assert.Equal(2, report.Problems.Count);
    }

    private static ModuleShapeReport Analyze(string source) =>
        ModuleShapeAnalyzer.Analyze(
            Engine.PrepareModule(source, "test.js").Program ?? throw new InvalidOperationException("Jint returned no AST"));
}
