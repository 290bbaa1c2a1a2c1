import {
  BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, UseGuards,
} from '@nestjs/common';
import { CurrentPrincipal, JwtAuthGuard, Principal } from '../common/auth';
import { nonEmptyString, requireFields } from '../common/validation';
import { ProductsService } from './products.service';

const PRICE = /^\d{1,16}(\.\d{1,2})?$/;
const isPrice = (v: unknown): boolean => (typeof v === 'string' && PRICE.test(v)) || (typeof v === 'number' && v >= 0);
const optional = (check: (v: unknown) => boolean) => (v: unknown) => v === undefined || check(v);

function price(value: unknown): string | undefined {
  return value === undefined ? undefined : String(value);
}

@Controller('products')
@UseGuards(JwtAuthGuard)
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Post()
  async create(@Body() body: Record<string, unknown>, @CurrentPrincipal() principal: Principal) {
    const input = requireFields(body, {
      sku: nonEmptyString, name: nonEmptyString, priceBdt: isPrice, description: optional(nonEmptyString),
    });
    return this.products.create(principal.tid, {
      sku: input.sku as string, name: input.name as string, priceBdt: price(input.priceBdt) as string,
      description: input.description as string | undefined,
    });
  }

  @Get()
  async list(@Query('page') page = '1', @Query('limit') limit = '20', @CurrentPrincipal() principal?: Principal) {
    const pageNumber = Number(page);
    const limitNumber = Number(limit);
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || !Number.isInteger(limitNumber) || limitNumber < 1 || limitNumber > 100) {
      throw new BadRequestException('page must be an integer >= 1 and limit an integer from 1 to 100');
    }
    return this.products.list(principal!.tid, pageNumber, limitNumber);
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    return this.products.get(principal.tid, id);
  }

  @Patch(':id')
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: Record<string, unknown>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const input = requireFields(body, {
      sku: optional(nonEmptyString), name: optional(nonEmptyString), priceBdt: optional(isPrice),
      description: optional(nonEmptyString),
    });
    return this.products.update(principal.tid, id, {
      sku: input.sku as string | undefined, name: input.name as string | undefined, priceBdt: price(input.priceBdt),
      description: input.description as string | undefined,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.products.remove(principal.tid, id);
  }
}
