import { bootstrap } from '../common/bootstrap';
import { AccountsModule } from './app.module';

void bootstrap(AccountsModule);
