import { Artifact, Deployed, isCustom, Json, Template } from './template';

/*
 * CloudFormation's intrinsic functions and conditions as CDK templates use them, resolved against a
 * stack's deployed resources and pseudo parameters.
 */

/** What the intrinsic functions of a stack's template refer to. */
export interface IntrinsicContext {
  readonly account: string;
  readonly region: string;
  readonly stackId: string;
  readonly stackName: string;
  readonly deployed: ReadonlyMap<string, Deployed>;
}

export class Intrinsics {
  constructor(private readonly stack: IntrinsicContext) {}

  public condition(template: Template, name: string | undefined): boolean {
    return name === undefined || Boolean(this.evaluate(template.Conditions?.[name], template));
  }

  public evaluate(value: Json, template: Template): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const [fn, args]: [string?, Json?] = Object.entries(value as Record<string, Json>)[0] ?? [];
    switch (fn) {
      case 'Fn::Equals': return JSON.stringify(this.resolve(args[0], template)) === JSON.stringify(this.resolve(args[1], template));
      case 'Fn::Or': return (args as Json[]).some(a => this.evaluate(a, template));
      case 'Fn::And': return (args as Json[]).every(a => this.evaluate(a, template));
      case 'Fn::Not': return !this.evaluate(args[0], template);
      case 'Condition': return this.condition(template, args);
      default: return Boolean(this.resolve(value, template));
    }
  }

  /** Resolves the intrinsic functions CDK templates use, against the deployed resources and pseudo parameters. */
  public resolve(value: Json, template: Template, artifact?: Artifact): Json {
    if (Array.isArray(value)) return value.map(v => this.resolve(v, template, artifact)).filter(v => v !== undefined);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      const args = value[keys[0]];
      switch (keys[0]) {
        case 'Ref': return this.ref(String(args), template);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(args) ? args : String(args).split(/\.(.+)/);
          return this.attribute(id, attribute);
        }
        case 'Fn::Join': return (this.resolve(args[1], template, artifact) as Json[]).join(args[0]);
        case 'Fn::Select': return this.resolve(args[1], template, artifact)[Number(this.resolve(args[0], template, artifact))];
        case 'Fn::Split': return String(this.resolve(args[1], template, artifact)).split(args[0]);
        case 'Fn::Base64': return Buffer.from(String(this.resolve(args, template, artifact))).toString('base64');
        case 'Fn::If': return this.resolve(this.condition(template, args[0]) ? args[1] : args[2], template, artifact);
        case 'Fn::FindInMap': {
          const [map, first, second] = (args as Json[]).map(a => this.resolve(a, template, artifact));
          return template.Mappings?.[map]?.[first]?.[second];
        }
        case 'Fn::Sub': {
          const [text, vars]: [string, Record<string, Json>] = Array.isArray(args) ? args as [string, Record<string, Json>] : [String(args), {}];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name.startsWith('!')) return `\${${name.slice(1)}}`;
            if (name in vars) return String(this.resolve(vars[name], template, artifact));
            const [id, attribute] = name.split(/\.(.+)/);
            return String(attribute ? this.attribute(id, attribute) : this.ref(id, template));
          });
        }
        case 'Fn::GetAZs': return [`${this.stack.region}a`, `${this.stack.region}b`];
        default: throw new Error(`${keys[0]} is not supported by the local CloudFormation`);
      }
    }
    return Object.fromEntries(Object.entries(value)
      .map(([k, v]) => [k, this.resolve(v, template, artifact)])
      .filter(([, v]) => v !== undefined));
  }

  public ref(name: string, template: Template): Json {
    switch (name) {
      case 'AWS::AccountId': return this.stack.account;
      case 'AWS::Region': return this.stack.region;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackId': return this.stack.stackId;
      case 'AWS::StackName': return this.stack.stackName;
      case 'AWS::NoValue': return undefined;
      default:
        break;
    }
    if (template.Parameters?.[name]) return template.Parameters[name].Default;
    const resource = this.stack.deployed.get(name);
    if (!resource) throw new Error(`Ref to ${name}, which is not deployed`);
    return isCustom(resource.type) ? resource.physicalId : resource.attributes.Ref ?? resource.physicalId;
  }

  public attribute(id: string, attribute: string): Json {
    const resource = this.stack.deployed.get(id);
    if (!resource) throw new Error(`Fn::GetAtt of ${id}, which is not deployed`);
    const value = resource.attributes[attribute];
    if (value === undefined) {
      if (isCustom(resource.type)) throw new Error(`Vendor response doesn't contain ${attribute} attribute in object ${id}`);
      return `${resource.physicalId}.${attribute}`;
    }
    return value;
  }
}
