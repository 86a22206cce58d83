using Acornima.Ast;

namespace Pdp.Policies.Analysis;

/// <summary>
/// Load-time check that a policy module cannot carry state from one decision to the next.
/// Jint engines are pooled, so a module is instantiated once per engine and its functions serve many
/// decisions. The runtime deep-freezes module-level values, intrinsics, <c>input</c> and <c>data</c>;
/// this analyzer refuses what freezing cannot stop: re-assigning module-level or closure-captured
/// variables. It also refuses re-exports, dynamic <c>import()</c>, top-level side effects, <c>with</c>,
/// <c>eval</c>, the <c>Function</c> constructor, <c>debugger</c>, generators and async code. Static
/// <c>import</c> declarations are allowed and listed in the report; where they may lead (only to helper
/// modules in <c>lib/</c>) is the loader's check, since only it knows the set's files.
/// </summary>
/// <remarks>
/// Rules:
/// <list type="number">
/// <item>Top level: only <c>const</c>, function and class declarations (optionally exported), plain
/// <c>import … from "…"</c> (no import attributes, no <c>defer</c>/<c>source</c> phase),
/// <c>export { … }</c> of local names and <c>export default …</c>. Empty statements and directive
/// prologues (<c>"use strict";</c>) are tolerated.</item>
/// <item>Inside every function (including methods, accessors, class field initialisers and static
/// blocks) an assigned identifier must resolve — with ECMAScript block scoping — to a binding that
/// this same function declares (parameter, <c>var</c>/<c>let</c>/<c>const</c>, catch parameter,
/// function or class declaration), not to one of an enclosing function or the module. Top-level code
/// outside functions may assign no identifier at all.</item>
/// </list>
/// </remarks>
public sealed class ModuleShapeAnalyzer
{
    private const string DefaultExportName = "default";

    private readonly List<ModuleShapeProblem> _problems = [];
    private readonly List<string> _topLevelBindings = [];
    private readonly List<ModuleImport> _imports = [];
    private readonly ShapeWalker _walker;
    private bool _hasDefaultExport;

    private ModuleShapeAnalyzer(Module module)
    {
        var moduleScope = new Scope(new FunctionContext("<module>", isModule: true), parent: null);
        foreach (var statement in module.Body)
        {
            ScopeCollector.AddTopLevelNames(statement, moduleScope.Names);
        }

        _walker = new ShapeWalker(_problems, moduleScope);
    }

    /// <summary>Analyzes a parsed policy module (e.g. <c>Engine.PrepareModule(source, name).Program</c>).</summary>
    /// <returns>The problems found (empty when the module is acceptable) and its top-level bindings.</returns>
    public static ModuleShapeReport Analyze(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);

        var analyzer = new ModuleShapeAnalyzer(module);
        foreach (var statement in module.Body)
        {
            analyzer.CheckTopLevelStatement(statement);
        }

        var problems = analyzer._problems
            .OrderBy(p => p.Line)
            .ThenBy(p => p.Column)
            .ToList();
        return new ModuleShapeReport(problems.AsReadOnly(), analyzer._topLevelBindings.AsReadOnly(), analyzer._hasDefaultExport)
        {
            Imports = analyzer._imports.AsReadOnly(),
        };
    }

    private void CheckTopLevelStatement(Statement statement)
    {
        switch (statement)
        {
            case ImportDeclaration import:
                CheckImport(import);
                break;
            case ExportAllDeclaration or ExportNamedDeclaration { Source: not null }:
                Report(statement, ShapeMessages.ReExport);
                break;
            case ExportNamedDeclaration { Declaration: { } declaration }:
                CheckTopLevelDeclaration(declaration);
                break;
            case ExportNamedDeclaration export:
                foreach (var specifier in export.Specifiers)
                {
                    if (IsDefaultName(specifier.Exported))
                    {
                        _hasDefaultExport = true;
                    }
                }

                break;
            case ExportDefaultDeclaration exportDefault:
                _hasDefaultExport = true;
                CheckDefaultExport(exportDefault.Declaration);
                break;
            case Declaration declaration:
                CheckTopLevelDeclaration(declaration);
                break;
            case EmptyStatement or Directive:
                break;
            default:
                Report(statement, ShapeMessages.TopLevelStatement);
                break;
        }
    }

    private void CheckImport(ImportDeclaration import)
    {
        if (import.Attributes.Count > 0)
        {
            Report(import, ShapeMessages.ImportAttributes);
            return;
        }

        if (import.Phase != ImportPhase.None)
        {
            Report(import, ShapeMessages.ImportPhase);
            return;
        }

        var names = import.Specifiers.Select(s => s.Local.Name).ToArray();
        _imports.Add(new ModuleImport(import.Source.Value, import.Location.Start.Line, import.Location.Start.Column + 1, names));
    }

    private void CheckTopLevelDeclaration(Declaration declaration)
    {
        switch (declaration)
        {
            case VariableDeclaration { Kind: VariableDeclarationKind.Const } constant:
                ScopeCollector.AddDeclaredNames(constant, _topLevelBindings);
                _walker.Visit(constant);
                break;
            case VariableDeclaration variable:
                Report(variable, ShapeMessages.ModuleLevelVariable(KindText(variable.Kind)));
                // Still check the initialisers: functions in them get the usual function checks.
                _walker.Visit(variable);
                break;
            case FunctionDeclaration or ClassDeclaration:
                AddDeclarationName(declaration);
                _walker.Visit(declaration);
                break;
            default:
                Report(declaration, ShapeMessages.TopLevelStatement);
                break;
        }
    }

    private void CheckDefaultExport(StatementOrExpression declaration)
    {
        switch (declaration)
        {
            case FunctionDeclaration function:
                AddDeclarationName(function);
                _walker.WalkFunction(function, DefaultExportName, function);
                break;
            case ClassDeclaration:
                AddDeclarationName(declaration);
                _walker.Visit(declaration);
                break;
            case Expression expression:
                _walker.VisitValue(expression, DefaultExportName);
                break;
            default:
                Report(declaration, ShapeMessages.TopLevelStatement);
                break;
        }
    }

    private void AddDeclarationName(Node declaration)
    {
        var id = declaration switch
        {
            FunctionDeclaration function => function.Id,
            ClassDeclaration @class => @class.Id,
            _ => null,
        };

        if (id is not null)
        {
            _topLevelBindings.Add(id.Name);
        }
    }

    private void Report(Node node, string message) => _walker.Report(node, message);

    private static bool IsDefaultName(Expression exported) => exported switch
    {
        Identifier identifier => identifier.Name == DefaultExportName,
        StringLiteral literal => literal.Value == DefaultExportName,
        _ => false,
    };

    private static string KindText(VariableDeclarationKind kind) => kind switch
    {
        VariableDeclarationKind.Let => "let",
        VariableDeclarationKind.Var => "var",
        VariableDeclarationKind.Using => "using",
        VariableDeclarationKind.AwaitUsing => "await using",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
