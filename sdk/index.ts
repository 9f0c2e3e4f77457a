export * from './client.ts';
export * from './generated/contract.ts';
export * from './pagination.ts';
export * from './sse.ts';
export * from './webhook-signature.ts';
