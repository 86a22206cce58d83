using Acornima.Ast;

namespace Pdp.Policies.Analysis;

/// <summary>Functions, classes and object literals: everything that opens a new <see cref="FunctionContext"/>.</summary>
internal sealed partial class ShapeWalker
{
    private const string Anonymous = "<anonymous>";
    private const string StaticBlockName = "<static block>";

    /// <summary>
    /// Walks any function (declaration, expression, arrow, method, accessor). Its parameters, its <c>var</c>
    /// names and the lexical declarations at the top of its body form the function scope.
    /// </summary>
    public void WalkFunction(IFunction function, string? nameHint, Node reportAt)
    {
        var name = function.Id?.Name ?? nameHint ?? Anonymous;
        if (function.Async)
        {
            Report(reportAt, ShapeMessages.Async(name));
        }

        if (function.Generator)
        {
            Report(reportAt, ShapeMessages.Generator(name));
        }

        var context = new FunctionContext(name, isModule: false);
        var scope = new Scope(context, _scope);
        foreach (var parameter in function.Params)
        {
            ScopeCollector.AddBoundNames(parameter, scope.Names);
        }

        if (function.Body is FunctionBody declaredBody)
        {
            ScopeCollector.AddVarNames(declaredBody.Body, scope.Names);
            ScopeCollector.AddLexicalNames(declaredBody.Body, scope.Names);
        }

        var (savedFunction, savedScope) = (_function, _scope);
        (_function, _scope) = (context, scope);

        foreach (var parameter in function.Params)
        {
            WalkPattern(parameter, assigning: false);
        }

        if (function.Body is FunctionBody body)
        {
            foreach (var statement in body.Body)
            {
                Visit(statement);
            }
        }
        else
        {
            Visit(function.Body);
        }

        (_function, _scope) = (savedFunction, savedScope);
    }

    protected override object? VisitFunctionDeclaration(FunctionDeclaration node)
    {
        WalkFunction(node, null, node);
        return node;
    }

    protected override object? VisitFunctionExpression(FunctionExpression node)
    {
        WalkFunction(node, null, node);
        return node;
    }

    protected override object? VisitArrowFunctionExpression(ArrowFunctionExpression node)
    {
        WalkFunction(node, null, node);
        return node;
    }

    protected override object? VisitObjectProperty(ObjectProperty node)
    {
        if (node.Computed)
        {
            Visit(node.Key);
        }

        var name = ScopeCollector.KeyName(node.Key, node.Computed);
        if (node.Value is IFunction function && (node.Method || node.Kind is PropertyKind.Get or PropertyKind.Set))
        {
            WalkFunction(function, name, node);
        }
        else
        {
            VisitValue(node.Value as Expression, name);
        }

        return node;
    }

    protected override object? VisitClassDeclaration(ClassDeclaration node)
    {
        WalkClass(node);
        return node;
    }

    protected override object? VisitClassExpression(ClassExpression node)
    {
        WalkClass(node);
        return node;
    }

    /// <summary>
    /// Decorators, <c>extends</c> and computed keys are evaluated in the enclosing code; methods are
    /// functions; each field initialiser and each static block is its own function-like context.
    /// </summary>
    private void WalkClass(IClass node)
    {
        foreach (var decorator in node.Decorators)
        {
            Visit(decorator);
        }

        VisitOptional(node.SuperClass);

        foreach (var element in node.Body.Body)
        {
            switch (element)
            {
                case MethodDefinition method:
                    VisitDecorators(method.Decorators);
                    VisitComputedKey(method);
                    WalkFunction(method.Value, ScopeCollector.KeyName(method.Key, method.Computed), method);
                    break;
                case PropertyDefinition field:
                    VisitDecorators(field.Decorators);
                    VisitComputedKey(field);
                    WalkFieldInitializer(field);
                    break;
                case AccessorProperty accessor:
                    VisitDecorators(accessor.Decorators);
                    VisitComputedKey(accessor);
                    WalkFieldInitializer(accessor);
                    break;
                case StaticBlock staticBlock:
                    WalkStaticBlock(staticBlock);
                    break;
                default:
                    Visit(element);
                    break;
            }
        }
    }

    private void VisitDecorators(in NodeList<Decorator> decorators)
    {
        foreach (var decorator in decorators)
        {
            Visit(decorator);
        }
    }

    private void VisitComputedKey(ClassProperty property)
    {
        if (property.Computed)
        {
            Visit(property.Key);
        }
    }

    private void WalkFieldInitializer(ClassProperty field)
    {
        if (field.Value is null)
        {
            return;
        }

        var name = ScopeCollector.KeyName(field.Key, field.Computed) ?? Anonymous;
        var context = new FunctionContext(name, isModule: false);
        var (savedFunction, savedScope) = (_function, _scope);
        (_function, _scope) = (context, new Scope(context, _scope));
        VisitValue(field.Value, name);
        (_function, _scope) = (savedFunction, savedScope);
    }

    private void WalkStaticBlock(StaticBlock block)
    {
        var context = new FunctionContext(StaticBlockName, isModule: false);
        var scope = new Scope(context, _scope);
        ScopeCollector.AddVarNames(block.Body, scope.Names);
        ScopeCollector.AddLexicalNames(block.Body, scope.Names);

        var (savedFunction, savedScope) = (_function, _scope);
        (_function, _scope) = (context, scope);
        foreach (var statement in block.Body)
        {
            Visit(statement);
        }

        (_function, _scope) = (savedFunction, savedScope);
    }
}
