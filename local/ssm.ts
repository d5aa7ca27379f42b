import { ApiError } from './common';

/*
 * SSM Parameter Store's GetParameter and PutParameter (awsJson1_1), over `parameters`: the organization
 * baseline keeps its progress there. A parameter must exist (created by its stack) before it is written.
 */
export class ParameterStore {
  public readonly parameters = new Map<string, string>();

  public dispatch(operation: string, body: { Name?: string; Value?: string }): unknown {
    const name = String(body.Name);
    if (!this.parameters.has(name)) throw new ApiError(400, 'ParameterNotFound', `Parameter ${name} not found`);
    switch (operation) {
      case 'GetParameter':
        return { Parameter: { Name: name, Type: 'String', Value: this.parameters.get(name), Version: 1 } };
      case 'PutParameter':
        if (typeof body.Value !== 'string' || body.Value.length > 4096) throw new ApiError(400, 'ValidationException', 'Value longer than 4096 characters');
        this.parameters.set(name, body.Value);
        return { Version: 2, Tier: 'Standard' };
      default:
        throw new ApiError(400, 'InvalidAction', `Unknown operation ${operation}`);
    }
  }
}
