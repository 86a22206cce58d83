namespace Pdp.Policies.Analysis;

/// <summary>The messages produced by <see cref="ModuleShapeAnalyzer"/>.</summary>
internal static class ShapeMessages
{
    public const string DynamicImport = "dynamic import() is not available in the policy sandbox: import helper modules with a static 'import … from \"./lib/….js\"'";
    public const string ReExport = "re-exports ('export … from') are not allowed: import the names, then export them";
    public const string ImportAttributes = "import attributes ('with { … }') are not allowed: only JavaScript helper modules can be imported";
    public const string ImportPhase = "'import defer' and 'import source' are not allowed: use a plain import";
    public const string TopLevelStatement = "top-level statements other than declarations are not allowed";
    public const string With = "'with' statements are not allowed in policies";
    public const string Debugger = "'debugger' statements are not allowed in policies";
    public const string EvalCall = "eval() is not allowed in the policy sandbox";
    public const string EvalReference = "'eval' may not be referenced in the policy sandbox: eval() is not allowed";
    public const string FunctionConstructor = "the Function constructor (Function(…) / new Function(…)) is not allowed in the policy sandbox";
    public const string FunctionReference = "'Function' may not be referenced in the policy sandbox: the Function constructor is not allowed";
    public const string Await = "'await' is not allowed: the policy sandbox is synchronous";
    public const string ImportMeta = "'import.meta' is not available in the policy sandbox";

    public static string ModuleLevelVariable(string kind) =>
        $"module-level '{kind}' is not allowed: policies are stateless; use const";

    public static string AssignedOutside(string name, string function) =>
        $"'{name}' is assigned in function '{function}' but declared outside it: a policy function may only assign variables it declares";

    public static string AssignedAtTopLevel(string name) =>
        $"'{name}' is assigned at module top level: module-level bindings may not be reassigned";

    public static string Async(string function) =>
        $"async function '{function}' is not allowed: the policy sandbox is synchronous";

    public static string Generator(string function) =>
        $"generator function '{function}' is not allowed: policy functions must be plain synchronous functions";
}
