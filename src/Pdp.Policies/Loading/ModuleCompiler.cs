using Acornima;
using Acornima.Ast;
using Jint;
using Pdp.Policies.Analysis;
using Pdp.Policies.Model;

namespace Pdp.Policies.Loading;

/// <summary>
/// What policies and helper modules share at load: parsing, the module-shape rules, reserved names, where each import
/// leads (<see cref="LibraryImports"/>), and the source the engines run, with the line that exports the module-level
/// bindings for freezing appended after the author's last line (so every reported position stays true).
/// </summary>
internal static class ModuleCompiler
{
    /// <summary>A module that parsed and passed the shape rules, with the helper modules its imports lead to.</summary>
    public sealed record Parsed(SourceFile File, Module Program, Prepared<Module> Runnable, IReadOnlyList<(ModuleImport Import, string Library)> Imports);

    /// <summary>Parses and checks a module, or returns null after reporting why it cannot run.</summary>
    public static Parsed? Parse(SourceFile file, IReadOnlySet<string> libraries, List<PolicyProblem> problems)
    {
        Prepared<Module> original;
        try
        {
            original = Engine.PrepareModule(file.Content, file.Path);
        }
        catch (Exception e) when (FindParseError(e) is { } parse)
        {
            problems.Add(new PolicyProblem(file.Path, parse.LineNumber, parse.Column + 1, $"syntax error: {parse.Description}"));
            return null;
        }

        var before = problems.Count;
        var shape = ModuleShapeAnalyzer.Analyze(original.Program!);
        foreach (var problem in shape.Problems)
        {
            problems.Add(new PolicyProblem(file.Path, problem.Line, problem.Column, problem.Message));
        }

        if (shape.TopLevelBindings.Concat(shape.Imports.SelectMany(i => i.LocalNames)).Any(b => b.StartsWith("__pdp", StringComparison.Ordinal)))
        {
            problems.Add(new PolicyProblem(file.Path, 0, 0, "names starting with '__pdp' are reserved"));
        }

        var imports = new List<(ModuleImport, string)>();
        foreach (var import in shape.Imports)
        {
            var library = LibraryImports.Resolve(file.Path, import.Specifier, out var error);
            if (library is null)
            {
                problems.Add(new PolicyProblem(file.Path, import.Line, import.Column, $"import {error}"));
            }
            else if (!libraries.Contains(library))
            {
                problems.Add(new PolicyProblem(file.Path, import.Line, import.Column, $"import '{import.Specifier}': there is no helper module {library}"));
            }
            else
            {
                imports.Add((import, library));
            }
        }

        if (problems.Count > before)
        {
            return null;
        }

        var augmented = $"{file.Content}\n;export const {CompiledPolicy.BindingsExport} = [{string.Join(", ", shape.TopLevelBindings)}];\n";
        return new Parsed(file, original.Program!, Engine.PrepareModule(augmented, file.Path), imports);
    }

    /// <summary>The line where <paramref name="name"/> is declared at top level (exported or not), or 1.</summary>
    public static int FindExportLine(Module program, string name)
    {
        foreach (var statement in program.Body)
        {
            var declaration = statement is ExportNamedDeclaration export ? export.Declaration : statement as Declaration;
            switch (declaration)
            {
                case VariableDeclaration variables when variables.Declarations.Any(d => d.Id is Identifier id && id.Name == name):
                case FunctionDeclaration { Id.Name: var fn } when fn == name:
                    return statement.Location.Start.Line;
            }
        }

        return 1;
    }

    /// <summary>Jint wraps the parser's error; the line and column live on the inner one.</summary>
    private static ParseErrorException? FindParseError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is ParseErrorException parse)
            {
                return parse;
            }
        }

        return null;
    }
}
