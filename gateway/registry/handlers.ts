import type { RouterContext } from '@koa/router';
import { caller } from '../../platform/auth/bearer.js';
import { input } from '../../platform/middleware/validate.js';
import type { Instances } from './instances.js';
import { presentInstance } from './present.js';
import { InstancePath, Register, ServicePath } from './schemas.js';

/** A route's last step, typed as the resource services type theirs. */
type Handler = (ctx: RouterContext) => Promise<void>;

export interface RegistryHandlers {
  readonly register: Handler;
  readonly heartbeat: Handler;
  readonly deregister: Handler;
  readonly list: Handler;
}

/** Thin handlers: validated input and the verified caller in, presented JSON out. */
export function registryHandlers(instances: Instances, ttlSeconds: number): RegistryHandlers {
  return {
    async register(ctx) {
      const { params, body } = input(ctx, Register);
      const { clientId } = caller(ctx);
      const { instance, created } = await instances.register(
        clientId,
        params.name,
        params.instanceId,
        body,
      );
      ctx.status = created ? 201 : 200;
      ctx.body = { ...presentInstance(instance), ttlSeconds };
    },
    async heartbeat(ctx) {
      const { params } = input(ctx, InstancePath);
      await instances.heartbeat(caller(ctx).clientId, params.name, params.instanceId);
      ctx.status = 204;
    },
    async deregister(ctx) {
      const { params } = input(ctx, InstancePath);
      await instances.deregister(caller(ctx).clientId, params.name, params.instanceId);
      ctx.status = 204;
    },
    async list(ctx) {
      const { params } = input(ctx, ServicePath);
      const items = await instances.list(params.name);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { items: items.map(presentInstance) };
    },
  };
}
