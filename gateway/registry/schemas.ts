import { z } from 'zod';

/** Service names callers resolve: lower-case words joined by dashes (users, tweets, feeds). */
const ServiceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes');

const InstanceId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -');

/** An http(s) URL without credentials, query or fragment: traffic is sent there as is. */
const ServiceUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
  .max(2048)
  .refine((u) => {
    // Refinements run even when the URL check failed: only judge what parses.
    if (!URL.canParse(u)) {
      return true;
    }
    const url = new URL(u);
    return url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  }, 'must not carry credentials, a query or a fragment');

export const ServicePath = { params: z.object({ name: ServiceName }) };

export const InstancePath = { params: z.object({ name: ServiceName, instanceId: InstanceId }) };

export const Register = {
  params: InstancePath.params,
  body: z.strictObject({
    baseUrl: ServiceUrl,
    healthUrl: ServiceUrl,
    version: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable ASCII characters'),
    openapiUrl: ServiceUrl.optional(),
  }),
};

export type RegisterBody = z.output<typeof Register.body>;
