namespace Pdp.Policies.Analysis;

/// <summary>
/// Result of <see cref="ModuleShapeAnalyzer.Analyze"/>: the problems that make a policy module unacceptable
/// (empty when the module is fine) and the module's top-level binding names, which the loader deep-freezes
/// after import.
/// </summary>
/// <param name="Problems">Problems in source order (line, then column).</param>
/// <param name="TopLevelBindings">
/// Names of the module's top-level <c>const</c> bindings (including names bound by destructuring), function
/// declarations and class declarations, in source order. Refused <c>let</c>/<c>var</c> bindings are not listed.
/// </param>
/// <param name="HasDefaultExport">Whether the module has a default export (<c>export default …</c> or <c>export { x as default }</c>).</param>
public sealed record ModuleShapeReport(
    IReadOnlyList<ModuleShapeProblem> Problems,
    IReadOnlyList<string> TopLevelBindings,
    bool HasDefaultExport)
{
    /// <summary>True when the module may be loaded.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>The module's static imports in source order; the loader checks where each leads.</summary>
    public IReadOnlyList<ModuleImport> Imports { get; init; } = [];
}

/// <summary>One static <c>import … from "specifier"</c> of a module.</summary>
/// <param name="Specifier">The module name as written.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="LocalNames">The names it binds in the importing module.</param>
public sealed record ModuleImport(string Specifier, int Line, int Column, IReadOnlyList<string> LocalNames);

/// <summary>One reason a policy module is refused.</summary>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Message">Human-readable explanation.</param>
public sealed record ModuleShapeProblem(int Line, int Column, string Message);
